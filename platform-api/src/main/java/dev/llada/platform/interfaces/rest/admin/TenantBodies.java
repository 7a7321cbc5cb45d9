package dev.llada.platform.interfaces.rest.admin;

import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.interfaces.rest.JsonFields;
import dev.llada.registry.domain.VariantCode;
import jakarta.json.JsonObject;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/** The parts of a tenant's request bodies: limits, limit ceilings, entitlements. */
final class TenantBodies {

  private TenantBodies() {}

  /** {@code limit_ceilings}, when the body has it. */
  static Limits ceilings(JsonObject b) {
    return JsonFields.present(b, "limit_ceilings")
        ? limits(JsonFields.object(b, "limit_ceilings"), "limit_ceilings")
        : null;
  }

  /** Limits under another field's name ({@code limit_ceilings}): errors name it. */
  static Limits limits(JsonObject l, String field) {
    try {
      return limits(l);
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(
          field + (e.param() == null ? "" : "." + e.param()), field + ": " + e.getMessage());
    }
  }

  static Limits limits(JsonObject l) {
    if (l == null) {
      return null;
    }
    return new Limits(
        JsonFields.integer(l, "requests_per_minute", null),
        JsonFields.integer(l, "tokens_per_day", null),
        JsonFields.integer(l, "compute_units_per_month", null),
        JsonFields.integer(l, "max_concurrent", null));
  }

  static Set<VariantCode> variants(List<String> names) {
    if (names == null) {
      return null;
    }
    Set<VariantCode> out = EnumSet.noneOf(VariantCode.class);
    for (String n : names) {
      try {
        out.add(VariantCode.valueOf(n));
      } catch (IllegalArgumentException e) {
        throw new InvalidRequestException(
            "entitlements", "unknown variant '" + n + "'; use BASE, INSTRUCT, V1_5, MOE or VISION");
      }
    }
    return out;
  }
}

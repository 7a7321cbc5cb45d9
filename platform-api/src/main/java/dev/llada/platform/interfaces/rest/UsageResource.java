package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.QuotaLedger;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.application.UsageRow;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Usage reports by UTC day, tenant, model and key, as JSON or CSV ({@code format=csv}): {@code
 * /v1/usage} for a tenant's own usage (scope {@code usage:read}), {@code /v1/admin/usage} for any
 * tenant or all of them.
 */
@Path("")
@RequestScoped
@Produces({MediaType.APPLICATION_JSON, "text/csv"})
@Tag(name = "Usage")
public class UsageResource {

  @Inject QuotaLedger ledger;
  @Inject Tenancy tenancy;
  @Inject RequestContext context;

  /** A usage report. */
  public record Report(String object, LocalDate from, LocalDate to, List<UsageRow> data) {}

  @GET
  @Path("usage")
  @Operation(summary = "The calling tenant's usage")
  public Response own(
      @QueryParam("from") String from,
      @QueryParam("to") String to,
      @QueryParam("format") String format) {
    Caller caller = context.caller();
    if (caller.isAdmin()) {
      throw new InvalidRequestException(null, "This caller has no tenant; use /v1/admin/usage.");
    }
    return report(caller.tenantId(), from, to, format);
  }

  @GET
  @Path("admin/usage")
  @Operation(summary = "Usage of one tenant (tenant=slug) or of all")
  public Response all(
      @QueryParam("tenant") String tenant,
      @QueryParam("from") String from,
      @QueryParam("to") String to,
      @QueryParam("format") String format) {
    UUID id = tenant == null || tenant.isBlank() ? null : tenancy.tenant(tenant).id();
    return report(id, from, to, format);
  }

  private Response report(UUID tenant, String from, String to, String format) {
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    LocalDate end = date("to", to, today);
    LocalDate start = date("from", from, end.minusDays(30));
    if (start.isAfter(end)) {
      throw new InvalidRequestException("from", "from must not be after to.");
    }
    if (start.plusDays(366).isBefore(end)) {
      throw new InvalidRequestException("from", "A report covers at most 366 days.");
    }
    List<UsageRow> rows = ledger.usage(tenant, start, end);
    if (format == null || format.equals("json")) {
      return Response.ok(new Report("list", start, end, rows), MediaType.APPLICATION_JSON_TYPE)
          .build();
    }
    if (!format.equals("csv")) {
      throw new InvalidRequestException("format", "format must be json or csv.");
    }
    StringBuilder csv =
        new StringBuilder(
            "day,tenant,model,key_prefix,requests,prompt_tokens,completion_tokens,compute_units,"
                + "failed\n");
    for (UsageRow r : rows) {
      csv.append(r.day())
          .append(',')
          .append(r.tenant())
          .append(',')
          .append(csvField(r.model()))
          .append(',')
          .append(r.keyPrefix())
          .append(',')
          .append(r.requests())
          .append(',')
          .append(r.promptTokens())
          .append(',')
          .append(r.completionTokens())
          .append(',')
          .append(r.computeUnits())
          .append(',')
          .append(r.failed())
          .append('\n');
    }
    return Response.ok(csv.toString(), "text/csv; charset=utf-8")
        .header(
            "Content-Disposition", "attachment; filename=\"usage-" + start + "-" + end + ".csv\"")
        .build();
  }

  private static String csvField(String s) {
    return s.contains(",") || s.contains("\"") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }

  private static LocalDate date(String name, String value, LocalDate fallback) {
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      throw new InvalidRequestException(name, name + " must be a date like 2026-11-28.");
    }
  }
}

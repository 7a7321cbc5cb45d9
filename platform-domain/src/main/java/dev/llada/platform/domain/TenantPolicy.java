package dev.llada.platform.domain;

/**
 * What tenancy accepts, before the database sees it (the V1/V2/V4 checks, each refusal naming the
 * parameter): tenant slugs and names, and the users an identity provider maps to a tenant.
 */
public final class TenantPolicy {

  /** The roles a tenant user may hold. */
  public enum Role {
    OWNER,
    ADMIN,
    MEMBER
  }

  private TenantPolicy() {}

  public static void checkSlug(String slug) {
    if (slug == null || !slug.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new InvalidRequestException(
          "slug",
          "slug must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
    }
  }

  /** The most a tenant's queue weight may be (V9). */
  public static final int MAX_QUEUE_WEIGHT = 100;

  /**
   * A tenant's share of the worker's steps relative to other tenants' (weighted fair queueing);
   * null stays null (unchanged, or 1 for a new tenant); 400 outside 1 to 100.
   */
  public static Integer queueWeight(Long weight) {
    if (weight == null) {
      return null;
    }
    if (weight < 1 || weight > MAX_QUEUE_WEIGHT) {
      throw new InvalidRequestException(
          "queue_weight",
          "queue_weight must be an integer from 1 to " + MAX_QUEUE_WEIGHT + ", got " + weight);
    }
    return weight.intValue();
  }

  /** The display name as stored (stripped); 400 when blank or over 200 characters. */
  public static String displayName(String displayName) {
    if (displayName == null || displayName.isBlank() || displayName.length() > 200) {
      throw new InvalidRequestException("display_name", "display_name must be 1-200 characters");
    }
    return displayName.strip();
  }

  /** The role a new user gets (MEMBER when none is given); 400 for an unknown one. */
  public static Role checkUser(String issuer, String subject, String email, String role) {
    if (issuer == null || issuer.isBlank() || issuer.length() > 255) {
      throw new InvalidRequestException("issuer", "issuer must be 1-255 characters");
    }
    if (subject == null || subject.isBlank() || subject.length() > 255) {
      throw new InvalidRequestException("subject", "subject must be 1-255 characters");
    }
    if (email != null && (email.length() > 320 || !email.contains("@"))) {
      throw new InvalidRequestException("email", "email must look like name@domain");
    }
    if (role == null) {
      return Role.MEMBER;
    }
    for (Role r : Role.values()) {
      if (r.name().equals(role)) {
        return r;
      }
    }
    throw new InvalidRequestException("role", "role must be OWNER, ADMIN or MEMBER");
  }

  /**
   * Lets a tenant-admin set its tenant's limits or says which one it may not (403 {@code
   * limit_above_ceiling}, param {@code limits.<name>}): each limit at most its ceiling; where the
   * platform set no ceiling, at most the current limit (a tenant-admin may lower it, never raise or
   * remove it). A null limit is no limit.
   */
  public static void checkWithinCeilings(Limits current, Limits asked, Limits ceilings) {
    within(
        "requests_per_minute",
        current.requestsPerMinute(),
        asked.requestsPerMinute(),
        ceilings.requestsPerMinute());
    within("tokens_per_day", current.tokensPerDay(), asked.tokensPerDay(), ceilings.tokensPerDay());
    within(
        "compute_units_per_month",
        current.computeUnitsPerMonth(),
        asked.computeUnitsPerMonth(),
        ceilings.computeUnitsPerMonth());
    within(
        "max_concurrent", current.maxConcurrent(), asked.maxConcurrent(), ceilings.maxConcurrent());
  }

  private static void within(String name, Long current, Long asked, Long ceiling) {
    Long bound = ceiling != null ? ceiling : current;
    if (bound == null || asked != null && asked <= bound) {
      return;
    }
    String what = asked == null ? "no limit" : asked.toString();
    throw new PermissionDeniedException(
        "limit_above_ceiling",
        "limits." + name,
        ceiling != null
            ? "limits."
                + name
                + ": "
                + what
                + " is above the ceiling of "
                + ceiling
                + " the platform set for this tenant."
            : "limits."
                + name
                + ": "
                + what
                + " is above the current limit of "
                + current
                + "; without a ceiling from the platform, a tenant-admin can only lower it.");
  }
}

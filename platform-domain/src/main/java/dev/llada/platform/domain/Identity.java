package dev.llada.platform.domain;

import java.util.List;
import java.util.Set;

/**
 * A person or service account, as a verified access token of the identity provider describes it.
 *
 * @param issuer the token's {@code iss}
 * @param subject its {@code sub}: with the issuer, the user's stable identity
 * @param name a readable name ({@code preferred_username}, {@code upn}, else the subject)
 * @param roles the platform roles it holds
 * @param tenants the tenant slugs it belongs to (the {@code tenant} claim; none for operators)
 */
public record Identity(
    String issuer, String subject, String name, Set<Role> roles, List<String> tenants) {

  public Identity {
    roles = Set.copyOf(roles);
    tenants = List.copyOf(tenants);
  }
}

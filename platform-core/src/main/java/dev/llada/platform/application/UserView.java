package dev.llada.platform.application;

import java.time.Instant;
import java.util.UUID;

/**
 * A person of a tenant, as the identity provider names them.
 *
 * @param issuer the OIDC issuer (the Keycloak realm URL)
 * @param subject the token's {@code sub} at that issuer
 * @param role OWNER, ADMIN or MEMBER within the tenant
 */
public record UserView(
    UUID id,
    String tenant,
    String issuer,
    String subject,
    String email,
    String role,
    Instant createdAt) {}

package dev.llada.platform.application;

import dev.llada.platform.domain.Limits;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * An API key without its secret.
 *
 * @param secret the full key: set only in the response that created it, never again
 */
public record KeyView(
    UUID id,
    String tenant,
    String name,
    String prefix,
    List<String> scopes,
    Limits limits,
    Instant expiresAt,
    Instant revokedAt,
    Instant createdAt,
    String secret) {}

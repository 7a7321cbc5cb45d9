package dev.llada.platform.application;

import java.time.Instant;
import java.util.UUID;

/**
 * A tenant's file ({@code /v1/files}): its metadata; the bytes are the content-addressed blob
 * {@code sha256}, shared by every file with the same content.
 */
public record StoredFile(
    String id,
    UUID tenantId,
    String filename,
    String purpose,
    long bytes,
    String sha256,
    Instant createdAt) {}

package dev.llada.platform.application;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where the tenants' files are kept: metadata per tenant, contents content-addressed within a
 * tenant (one blob per distinct sha256 of a tenant, shared by its files, gone with the last of
 * them; never shared across tenants). {@link FileService} holds the policy.
 */
public interface FileStore {

  /**
   * Adds {@code file} with the bytes of {@code content} (whose size and sha256 the file states),
   * unless the tenant's files would then hold more than {@code tenantLimitBytes}: then nothing is
   * stored and the result is empty. Checked and stored atomically per tenant.
   */
  Optional<StoredFile> add(StoredFile file, Path content, long tenantLimitBytes);

  /**
   * A tenant's files oldest first ({@code newestFirst} false) or newest first, of {@code purpose}
   * (all when null), those after the file {@code after} (in that order; from the start when null),
   * at most {@code limit}.
   */
  List<StoredFile> list(
      UUID tenantId, String purpose, StoredFile after, int limit, boolean newestFirst);

  /** The tenant's file {@code id}. */
  Optional<StoredFile> find(UUID tenantId, String id);

  /**
   * Chunk {@code seq} of the tenant's blob {@code sha256} (its bytes from seq × CHUNK_BYTES on).
   */
  Optional<byte[]> chunk(UUID tenantId, String sha256, int seq);

  /** The bytes of one chunk: a blob of n bytes has ⌈n / CHUNK_BYTES⌉ chunks. */
  int CHUNK_BYTES = 1 << 20;

  /** Deletes the tenant's file {@code id} (and its blob when no other file has it). */
  boolean delete(UUID tenantId, String id);

  /** The bytes the tenant's files hold. */
  long tenantBytes(UUID tenantId);

  /** Deletes every file of a deleted tenant; the number deleted. */
  int purgeTenant(UUID tenantId);
}

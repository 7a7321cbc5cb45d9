package dev.llada.platform.application;

import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.NotFoundException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The tenants' files (OpenAI's {@code /v1/files}; ARCHITECTURE.md, "Files"): what may be uploaded
 * and how it is checked, listed, read and deleted. Purposes: {@code batch} (batch inputs, [X]) and
 * {@code fine-tune} (preference datasets, [J]) must be JSON Lines — a {@code .jsonl} name, UTF-8,
 * every non-blank line one JSON object of at most the text body cap; {@code user_data} is any
 * bytes. A file is at most {@code llada.files.max-bytes}, a tenant's files together at most {@code
 * llada.files.max-tenant-bytes}. Every lookup is the caller's tenant's: another tenant's file is
 * answered as none.
 */
@ApplicationScoped
public class FileService {

  /** The purposes a tenant may upload. */
  public static final List<String> PURPOSES = List.of("batch", "fine-tune", "user_data");

  /** The purpose of the files a batch writes (its output and error files), never uploaded. */
  public static final String BATCH_OUTPUT = "batch_output";

  private static final List<String> LISTED =
      List.of("batch", "fine-tune", "user_data", BATCH_OUTPUT);

  /** The purposes whose content must be JSON Lines. */
  static final Set<String> JSON_LINES = Set.of("batch", "fine-tune");

  /** The most files one list returns (OpenAI's limit). */
  public static final int MAX_LIST = 10_000;

  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject FileStore store;

  @Inject
  @ConfigProperty(name = "llada.files.max-bytes", defaultValue = "536870912")
  long maxBytes;

  @Inject
  @ConfigProperty(name = "llada.files.max-tenant-bytes", defaultValue = "10737418240")
  long maxTenantBytes;

  @Inject
  @ConfigProperty(name = "llada.http.max-body-bytes", defaultValue = "1048576")
  long maxLineBytes;

  /** The largest file. */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * Stores {@code content} (an upload's file part) as the tenant's file; every refusal is a 4xx
   * that names the part at fault, and nothing is stored then. The purpose and name are checked
   * before a byte is read; the bytes are spooled to a temporary file once, counted and hashed as
   * they pass (reading stops past {@code llada.files.max-bytes}), and the spool is deleted at the
   * end.
   */
  public StoredFile upload(UUID tenantId, String filename, String purpose, InputStream content)
      throws IOException {
    if (purpose == null || purpose.isBlank()) {
      throw new InvalidRequestException(
          "missing_purpose", "purpose", "purpose is required: one of " + PURPOSES + ".");
    }
    if (!PURPOSES.contains(purpose)) {
      throw new InvalidRequestException(
          "invalid_purpose",
          "purpose",
          "purpose '" + printable(purpose) + "' is not one of " + PURPOSES + ".");
    }
    String name = filename(filename);
    Path spool = Files.createTempFile("llada-file-", ".part");
    try {
      return store(tenantId, name, purpose, spool, spool(content, spool));
    } finally {
      Files.deleteIfExists(spool);
    }
  }

  /** What spooling an upload found: its size (at most one past the cap) and sha256. */
  private record Spooled(long bytes, String sha256) {}

  /** Copies {@code in} to {@code spool} through a count and a digest, stopping past the cap. */
  private Spooled spool(InputStream in, Path spool) throws IOException {
    MessageDigest digest = sha256();
    long bytes = 0;
    try (InputStream data = new DigestInputStream(in, digest);
        java.io.OutputStream out = Files.newOutputStream(spool)) {
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = data.read(buffer)) > 0) {
        bytes += n;
        if (bytes > maxBytes) {
          throw new FileTooLargeException(bytes, maxBytes);
        }
        out.write(buffer, 0, n);
      }
    }
    return new Spooled(bytes, HexFormat.of().formatHex(digest.digest()));
  }

  private StoredFile store(
      UUID tenantId, String name, String purpose, Path content, Spooled spooled) {
    long bytes = spooled.bytes();
    if (bytes == 0) {
      throw new InvalidRequestException("empty_file", "file", "The file is empty.");
    }
    if (bytes > maxBytes) {
      throw new FileTooLargeException(bytes, maxBytes);
    }
    if (JSON_LINES.contains(purpose)) {
      if (!name.endsWith(".jsonl")) {
        throw new InvalidRequestException(
            "invalid_file_format",
            "file",
            "Files for purpose '" + purpose + "' must be JSON Lines named *.jsonl.");
      }
      JsonLines.check(content, maxLineBytes);
    }
    if (purpose.equals("fine-tune")) {
      PreferenceFiles.check(content); // a preference dataset, every fault named by its line
    }
    StoredFile file =
        new StoredFile(
            newId(),
            tenantId,
            name,
            purpose,
            bytes,
            spooled.sha256(),
            Instant.now().truncatedTo(ChronoUnit.MICROS));
    return store
        .add(file, content, maxTenantBytes)
        .orElseThrow(
            () ->
                new InvalidRequestException(
                    "storage_limit_exceeded",
                    "file",
                    "This tenant's files hold "
                        + store.tenantBytes(tenantId)
                        + " bytes; with this file's "
                        + bytes
                        + " they would pass the limit of "
                        + maxTenantBytes
                        + " bytes. Delete files first."));
  }

  /** A page of the tenant's files ({@code order} asc or desc, the default). */
  public Page list(UUID tenantId, String purpose, String after, Integer limit, String order) {
    int n = limit == null ? MAX_LIST : limit;
    if (n < 1 || n > MAX_LIST) {
      throw new InvalidRequestException("limit", "limit must be between 1 and " + MAX_LIST + ".");
    }
    boolean newestFirst;
    if (order == null || order.equals("desc")) {
      newestFirst = true;
    } else if (order.equals("asc")) {
      newestFirst = false;
    } else {
      throw new InvalidRequestException("order", "order must be asc or desc.");
    }
    if (purpose != null && !purpose.isEmpty() && !LISTED.contains(purpose)) {
      throw new InvalidRequestException(
          "purpose", "purpose '" + printable(purpose) + "' is not one of " + LISTED + ".");
    }
    StoredFile cursor = null;
    if (after != null && !after.isEmpty()) {
      cursor =
          store
              .find(tenantId, after)
              .orElseThrow(
                  () ->
                      new InvalidRequestException(
                          "after", "after names no file of this tenant: " + printable(after)));
    }
    List<StoredFile> page =
        store.list(
            tenantId,
            purpose == null || purpose.isEmpty() ? null : purpose,
            cursor,
            n + 1,
            newestFirst);
    boolean more = page.size() > n;
    return new Page(more ? page.subList(0, n) : page, more);
  }

  /** A page of files and whether more follow. */
  public record Page(List<StoredFile> files, boolean hasMore) {}

  /** The tenant's file, or 404. */
  public StoredFile get(UUID tenantId, String id) {
    return store.find(tenantId, id).orElseThrow(() -> notFound(id));
  }

  /**
   * Writes the file's bytes to {@code out}, one chunk per query: a slow reader holds no database
   * connection while it reads.
   */
  public void content(StoredFile file, OutputStream out) throws IOException {
    long chunks = (file.bytes() + FileStore.CHUNK_BYTES - 1) / FileStore.CHUNK_BYTES;
    for (int seq = 0; seq < chunks; seq++) {
      byte[] data =
          store
              .chunk(file.tenantId(), file.sha256(), seq)
              .orElseThrow(() -> new IOException("the file was deleted while it was read"));
      out.write(data);
    }
  }

  /** The file's bytes as a stream that reads one chunk per query. */
  public InputStream open(StoredFile file) {
    long chunks = (file.bytes() + FileStore.CHUNK_BYTES - 1) / FileStore.CHUNK_BYTES;
    return new java.io.SequenceInputStream(
        new java.util.Enumeration<InputStream>() {
          int seq;

          @Override
          public boolean hasMoreElements() {
            return seq < chunks;
          }

          @Override
          public InputStream nextElement() {
            byte[] data =
                store
                    .chunk(file.tenantId(), file.sha256(), seq++)
                    .orElseThrow(
                        () ->
                            new UncheckedIOException(
                                new IOException("the file was deleted while it was read")));
            return new java.io.ByteArrayInputStream(data);
          }
        });
  }

  /** Deletes the tenant's file, or 404. */
  public void delete(UUID tenantId, String id) {
    if (!store.delete(tenantId, id)) {
      throw notFound(id);
    }
  }

  private static NotFoundException notFound(String id) {
    return new NotFoundException(
        "file_not_found", "file_id", "No such File object: " + printable(id));
  }

  /**
   * The name as stored: its last path segment (browsers send {@code C:\fakepath\name}), trimmed, 1
   * to 255 characters, no control characters.
   */
  static String filename(String raw) {
    if (raw == null || raw.isBlank()) {
      throw new InvalidRequestException(
          "missing_file", "file", "file is required: a form part with a filename.");
    }
    String name = raw.substring(Math.max(raw.lastIndexOf('/'), raw.lastIndexOf('\\')) + 1).strip();
    if (name.isEmpty() || name.length() > 255) {
      throw new InvalidRequestException(
          "invalid_filename", "file", "The file name must have 1 to 255 characters.");
    }
    if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new InvalidRequestException(
          "invalid_filename", "file", "The file name holds a control character.");
    }
    return name;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String newId() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return "file-" + HexFormat.of().formatHex(b);
  }

  /** A value as it may be shown back: printable ASCII, at most 100 characters. */
  public static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < 100; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }
}

package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.platform.domain.Scope;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * OpenAI's Batch API for a tenant (docs/adr/0020): a batch is created from an uploaded {@code
 * batch} file of requests to one endpoint, checked line by line before anything runs (a file with a
 * bad line gives a {@code failed} batch whose {@code errors} name each line, as OpenAI's does),
 * then run by the platform's batch runners until every request has an answer or an error, or the
 * batch expires or is cancelled. Every lookup is the caller's tenant's.
 */
@ApplicationScoped
public class BatchService {

  /** The endpoints a batch may call. */
  public static final List<String> ENDPOINTS = List.of("/v1/chat/completions", "/v1/completions");

  /** The only completion window (OpenAI's). */
  public static final String WINDOW = "24h";

  /** The most batches one list returns (OpenAI's limit). */
  public static final int MAX_LIST = 100;

  private static final Set<String> CREATE_FIELDS =
      Set.of("input_file_id", "endpoint", "completion_window", "metadata");
  private static final SecureRandom RANDOM = new SecureRandom();

  @Inject BatchStore store;
  @Inject FileService files;

  /** The most requests one batch may hold (OpenAI's 50,000). */
  @Inject
  @ConfigProperty(name = "llada.batches.max-requests", defaultValue = "50000")
  int maxRequests;

  /** The largest input file a batch reads (OpenAI's 200 MB). */
  @Inject
  @ConfigProperty(name = "llada.batches.max-input-bytes", defaultValue = "209715200")
  long maxInputBytes;

  /** How long a batch may run before its unstarted requests expire ({@code 24h}: a day). */
  @Inject
  @ConfigProperty(name = "llada.batches.expiry-seconds", defaultValue = "86400")
  long expirySeconds;

  /** Creates a batch from the caller's file {@code input_file_id}; see the class comment. */
  public Batch create(Caller caller, JsonObject body) {
    if (caller.isAdmin()) {
      throw new InvalidRequestException(
          "tenant_required",
          null,
          "Batches belong to a tenant; call with a tenant's key or token.");
    }
    caller.require(Scope.INFERENCE);
    for (String field : body.keySet()) {
      if (!CREATE_FIELDS.contains(field)) {
        throw new InvalidRequestException(
            "unsupported_parameter",
            field,
            "'" + FileService.printable(field) + "' is not a parameter of a batch.");
      }
    }
    String fileId = string(body, "input_file_id");
    String endpoint = string(body, "endpoint");
    if (!ENDPOINTS.contains(endpoint)) {
      throw new InvalidRequestException(
          "invalid_endpoint",
          "endpoint",
          "endpoint '" + FileService.printable(endpoint) + "' is not one of " + ENDPOINTS + ".");
    }
    String window = string(body, "completion_window");
    if (!WINDOW.equals(window)) {
      throw new InvalidRequestException(
          "invalid_completion_window", "completion_window", "completion_window must be \"24h\".");
    }
    String metadata = BatchInput.metadata(body.get("metadata"));
    StoredFile input;
    try {
      input = files.get(caller.tenantId(), fileId);
    } catch (NotFoundException e) {
      throw new NotFoundException(
          "file_not_found",
          "input_file_id",
          "No such File object: " + FileService.printable(fileId));
    }
    if (!"batch".equals(input.purpose())) {
      throw new InvalidRequestException(
          "invalid_file_purpose",
          "input_file_id",
          "The file "
              + input.id()
              + " has purpose '"
              + input.purpose()
              + "'; a batch reads a file of purpose 'batch'.");
    }
    if (input.bytes() > maxInputBytes) {
      throw new InvalidRequestException(
          "input_file_too_large",
          "input_file_id",
          "The file "
              + input.id()
              + " has "
              + input.bytes()
              + " bytes; a batch's input file has at most "
              + maxInputBytes
              + ".");
    }
    // the file is copied to a local spool once, then read twice from it (checked, then streamed
    // into the store), never held whole and never read from the database while the store writes
    java.nio.file.Path spool = spool(input);
    try {
      return create(caller, input, endpoint, window, metadata, spool);
    } finally {
      try {
        java.nio.file.Files.deleteIfExists(spool);
      } catch (IOException e) {
        spool.toFile().deleteOnExit();
      }
    }
  }

  private java.nio.file.Path spool(StoredFile input) {
    try {
      java.nio.file.Path spool = java.nio.file.Files.createTempFile("llada-batch-input-", ".jsonl");
      try (java.io.InputStream in = files.open(input);
          java.io.OutputStream out = java.nio.file.Files.newOutputStream(spool)) {
        in.transferTo(out);
      } catch (UncheckedIOException | IOException e) {
        java.nio.file.Files.deleteIfExists(spool);
        throw new NotFoundException(
            "file_not_found",
            "input_file_id",
            "The file " + input.id() + " was deleted while the batch was created.");
      }
      return spool;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Batch create(
      Caller caller,
      StoredFile input,
      String endpoint,
      String window,
      String metadata,
      java.nio.file.Path spool) {
    JsonArrayBuilder errors = Json.createArrayBuilder();
    int[] counts; // errors, requests
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(spool)) {
      counts = BatchInput.check(in, endpoint, maxRequests, errors);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int errorCount = counts[0];
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    boolean failed = errorCount > 0;
    Batch batch =
        new Batch(
            newId(),
            caller.tenantId(),
            caller.apiKeyId(),
            caller.keyPrefix(),
            Scope.format(caller.scopes()),
            endpoint,
            input.id(),
            window,
            failed ? "failed" : "in_progress",
            metadata,
            failed
                ? Json.createObjectBuilder()
                    .add("object", "list")
                    .add("data", errors)
                    .build()
                    .toString()
                : null,
            null,
            null,
            new Batch.Times(
                now,
                failed ? null : now,
                now.plus(Duration.ofSeconds(expirySeconds)),
                null,
                null,
                failed ? now : null,
                null,
                null,
                null),
            new Batch.Counts(failed ? 0 : counts[1], 0, 0, 0, 0));
    store.create(
        batch, failed ? BatchStore.Items.NONE : BatchInput.items(spool, endpoint, maxRequests));
    return batch;
  }

  private static String string(JsonObject body, String field) {
    JsonValue v = body.get(field);
    if (v == null || v == JsonValue.NULL) {
      throw new InvalidRequestException(field, "'" + field + "' is required.");
    }
    if (!(v instanceof JsonString s)) {
      throw new InvalidRequestException(field, "'" + field + "' must be a string.");
    }
    return s.getString();
  }

  /** The caller's batch, or 404. */
  public Batch get(Caller caller, String id) {
    return store.find(caller.tenantId(), id).orElseThrow(() -> notFound(id));
  }

  /** A page of the caller's batches, newest first, and whether more follow. */
  public record Page(List<Batch> batches, boolean hasMore) {}

  public Page list(Caller caller, String after, Integer limit) {
    int n = limit == null ? 20 : limit;
    if (n < 1 || n > MAX_LIST) {
      throw new InvalidRequestException("limit", "limit must be between 1 and " + MAX_LIST + ".");
    }
    if (after != null && !after.isEmpty() && store.find(caller.tenantId(), after).isEmpty()) {
      throw new InvalidRequestException(
          "after", "after names no batch of this tenant: " + FileService.printable(after));
    }
    List<Batch> page =
        store.list(caller.tenantId(), after == null || after.isEmpty() ? null : after, n + 1);
    boolean more = page.size() > n;
    return new Page(more ? page.subList(0, n) : page, more);
  }

  /**
   * Cancels the caller's batch: it is {@code cancelling} until its running requests have stopped,
   * then {@code cancelled} with the answers it has; an ended batch other than a cancelled one is a
   * 409.
   */
  public Batch cancel(Caller caller, String id) {
    Batch b = store.cancel(caller.tenantId(), id).orElseThrow(() -> notFound(id));
    if (!b.status().equals("cancelling") && !b.status().equals("cancelled")) {
      throw new ConflictException(
          "batch_not_cancellable",
          null,
          "Batch " + b.id() + " is " + b.status() + "; only a batch in progress can be cancelled.");
    }
    return b;
  }

  private static NotFoundException notFound(String id) {
    return new NotFoundException(
        "batch_not_found", "batch_id", "No such Batch object: " + FileService.printable(id));
  }

  private static String newId() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return "batch_" + HexFormat.of().formatHex(b);
  }
}

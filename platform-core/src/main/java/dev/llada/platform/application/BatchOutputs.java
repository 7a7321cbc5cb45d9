package dev.llada.platform.application;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Ends the batches whose requests have all ended (docs/adr/0020): writes the output file (the
 * answered requests) and the error file (the refused, cancelled and expired ones) in OpenAI's
 * format, one line per request in line order, and gives the batch its final status. Each batch is
 * ended by one JVM at a time (under its lease); the files have ids derived from the batch's, so a
 * JVM that ends a batch another one died ending stores no second copy.
 */
@ApplicationScoped
public class BatchOutputs {

  private static final Logger LOG = Logger.getLogger(BatchOutputs.class.getName());
  private static final int PAGE = 500;

  @Inject BatchStore store;
  @Inject FileStore files;
  @Inject LeaderLease lease;

  /** Ends what is due: expired requests first, then every batch whose requests have all ended. */
  public int finishDue() {
    store.expireDue();
    int ended = 0;
    for (Batch b : store.toFinalize(20)) {
      String name = "batch:" + b.id();
      if (!lease.hold(name, Duration.ofMinutes(10))) {
        continue; // another JVM ends it
      }
      try {
        ended += finish(b) ? 1 : 0;
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.WARNING, "could not end batch " + b.id() + "; next time", e);
      } finally {
        lease.release(name);
      }
    }
    return ended;
  }

  /**
   * A cancelled batch ends {@code cancelled}; any other ends {@code expired} when some of its
   * requests expired unrun, else {@code completed}, after {@code finalizing} (which a cancel can no
   * longer interrupt).
   */
  private boolean finish(Batch b) throws IOException {
    boolean cancelled = b.status().equals("cancelling");
    if (b.status().equals("in_progress") && !store.finalizing(b.id())) {
      return false; // cancelled meanwhile: next time
    }
    Path output = Files.createTempFile("llada-batch-", ".jsonl");
    Path errors = Files.createTempFile("llada-batch-", ".jsonl");
    try {
      long[] lines = write(b, output, errors);
      String status = cancelled ? "cancelled" : lines[2] > 0 ? "expired" : "completed";
      String outputId = lines[0] == 0 ? null : store(b, "output", output);
      String errorId = lines[1] == 0 ? null : store(b, "error", errors);
      boolean closed = store.close(b.id(), status, outputId, errorId);
      if (closed) {
        LOG.info(
            () ->
                "batch "
                    + b.id()
                    + " "
                    + status
                    + ": "
                    + lines[0]
                    + " answered, "
                    + lines[1]
                    + " not");
      }
      return closed;
    } finally {
      Files.deleteIfExists(output);
      Files.deleteIfExists(errors);
    }
  }

  /** Writes both files; the number of lines of each, and how many requests expired. */
  private long[] write(Batch b, Path output, Path errors) throws IOException {
    long[] lines = new long[3];
    try (BufferedWriter out = Files.newBufferedWriter(output, StandardCharsets.UTF_8);
        BufferedWriter err = Files.newBufferedWriter(errors, StandardCharsets.UTF_8)) {
      int from = 1;
      List<BatchStore.Ended> page;
      do {
        page = store.ended(b.id(), from, PAGE);
        for (BatchStore.Ended e : page) {
          boolean answered = e.state().equals("succeeded");
          (answered ? out : err).write(line(b, e));
          (answered ? out : err).write('\n');
          lines[answered ? 0 : 1]++;
          lines[2] += e.state().equals("expired") ? 1 : 0;
          from = e.line() + 1;
        }
      } while (page.size() == PAGE);
    }
    return lines;
  }

  /**
   * One line of OpenAI's batch output: {id, custom_id, response: {status_code, request_id, body},
   * error}.
   */
  static String line(Batch b, BatchStore.Ended e) {
    JsonObjectBuilder line =
        Json.createObjectBuilder()
            .add("id", "batch_req_" + requestHex(b, e))
            .add("custom_id", e.customId());
    if (e.response() == null) { // never answered: cancelled or expired before it ran
      line.addNull("response")
          .add(
              "error",
              Json.createObjectBuilder()
                  .add("code", e.state().equals("expired") ? "batch_expired" : "batch_cancelled")
                  .add(
                      "message",
                      e.state().equals("expired")
                          ? "This request had not run when the batch expired."
                          : "This request had not run when the batch was cancelled."));
    } else {
      JsonObjectBuilder response = Json.createObjectBuilder().add("status_code", e.statusCode());
      if (e.requestId() == null) {
        response.addNull("request_id");
      } else {
        response.add("request_id", e.requestId().toString());
      }
      try (var reader = Json.createReader(new StringReader(e.response()))) {
        response.add("body", reader.readObject());
      }
      line.add("response", response).addNull("error");
    }
    return line.build().toString();
  }

  private static String requestHex(Batch b, BatchStore.Ended e) {
    UUID id = e.requestId();
    if (id != null) {
      return id.toString().replace("-", "");
    }
    byte[] h =
        FileService.sha256().digest((b.id() + ":" + e.line()).getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(h, 0, 16);
  }

  /**
   * Stores one of the batch's files under its derived id, or finds the one a JVM that died ending
   * this batch stored already. Such files count towards the tenant's bytes but are never refused.
   */
  private String store(Batch b, String kind, Path content) throws IOException {
    String id = fileId(b.id(), kind);
    if (files.find(b.tenantId(), id).isPresent()) {
      return id;
    }
    MessageDigest digest = FileService.sha256();
    long bytes;
    try (var in = new java.security.DigestInputStream(Files.newInputStream(content), digest)) {
      bytes = in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    StoredFile file =
        new StoredFile(
            id,
            b.tenantId(),
            b.id() + "_" + kind + ".jsonl",
            FileService.BATCH_OUTPUT,
            bytes,
            HexFormat.of().formatHex(digest.digest()),
            Instant.now().truncatedTo(ChronoUnit.MICROS));
    files.add(file, content, Long.MAX_VALUE).orElseThrow();
    return id;
  }

  /** The id of a batch's output ({@code kind} "output" or "error") file: one per batch. */
  static String fileId(String batchId, String kind) {
    byte[] h = FileService.sha256().digest((batchId + ":" + kind).getBytes(StandardCharsets.UTF_8));
    return "file-" + HexFormat.of().formatHex(h, 0, 12);
  }
}

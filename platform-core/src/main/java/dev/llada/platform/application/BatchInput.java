package dev.llada.platform.application;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A batch's input file as OpenAI's Batch API reads it: JSON Lines of requests {@code {custom_id,
 * method, url, body}}, blank lines skipped but counted, each refused line named by its number; and
 * the batch's metadata.
 */
final class BatchInput {

  private BatchInput() {}

  /** The most line errors a failed batch reports. */
  static final int MAX_ERRORS = 100;

  private static final Set<String> LINE_FIELDS = Set.of("custom_id", "method", "url", "body");

  /**
   * Checks the input file's lines: each refused line (and a file of too many or no requests) adds
   * an error to {@code errors} (the first {@link #MAX_ERRORS}); returns how many errors there were
   * and how many requests it holds. Nothing of the file is kept but its custom_ids, so a file of
   * any allowed size is checked in bounded memory; {@link #items} then streams its requests.
   */
  static int[] check(
      java.io.InputStream input, String endpoint, int maxRequests, JsonArrayBuilder errors)
      throws IOException {
    int[] counts = {0, 0}; // errors, requests
    read(
        input,
        endpoint,
        maxRequests,
        item -> counts[1]++,
        (why, number) -> {
          if (counts[0]++ < MAX_ERRORS) {
            errors.add(error("invalid_request", why, number));
          }
        });
    if (counts[0] == 0 && counts[1] == 0) {
      errors.add(error("empty_file", "The input file holds no request.", null));
      counts[0]++;
    }
    return counts;
  }

  /**
   * The requests of an input file {@link #check} found without errors, read again line by line as
   * they are stored: never all in memory.
   */
  static BatchStore.Items items(java.nio.file.Path file, String endpoint, int maxRequests) {
    return sink -> {
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
        read(
            in,
            endpoint,
            maxRequests,
            sink,
            (why, number) -> {
              throw new IllegalStateException("line " + number + " changed: " + why);
            });
      }
    };
  }

  private static void read(
      java.io.InputStream input,
      String endpoint,
      int maxRequests,
      java.util.function.Consumer<BatchStore.NewItem> accepted,
      java.util.function.ObjIntConsumer<String> refusedAt)
      throws IOException {
    Set<String> customIds = new HashSet<>();
    BufferedReader lines = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
    String text;
    int number = 0;
    int requests = 0;
    while ((text = lines.readLine()) != null) {
      number++;
      if (text.isBlank()) {
        continue;
      }
      String why;
      JsonObject line = null;
      try (var reader = Json.createReader(new StringReader(text))) {
        line = reader.readObject();
        why = lineError(line, endpoint, customIds);
      } catch (RuntimeException e) { // the upload checked JSON already; stored bytes may be older
        why = "it is not one JSON object";
      }
      if (why == null && requests == maxRequests) {
        why = "the batch would hold more than " + maxRequests + " requests";
      }
      if (why != null) {
        refusedAt.accept(why, number);
        continue;
      }
      requests++;
      accepted.accept(
          new BatchStore.NewItem(
              number, line.getString("custom_id"), line.getJsonObject("body").toString()));
    }
  }

  /** Why a line is refused, or null: OpenAI's request line {custom_id, method, url, body}. */
  static String lineError(JsonObject line, String endpoint, Set<String> customIds) {
    for (String field : line.keySet()) {
      if (!LINE_FIELDS.contains(field)) {
        return "'" + FileService.printable(field) + "' is not a field of a batch request";
      }
    }
    if (!(line.get("custom_id") instanceof JsonString id)) {
      return "custom_id is required, a string";
    }
    String customId = id.getString();
    int length = customId.codePointCount(0, customId.length());
    if (length == 0 || length > 512) {
      return "custom_id must have 1 to 512 characters";
    }
    if (!printable(customId)) {
      return "custom_id must be text: no control characters, no unpaired surrogates";
    }
    if (!customIds.add(customId)) {
      return "custom_id '" + FileService.printable(customId) + "' is used by an earlier line";
    }
    if (!(line.get("method") instanceof JsonString m) || !m.getString().equals("POST")) {
      return "method must be \"POST\"";
    }
    if (!(line.get("url") instanceof JsonString url) || !url.getString().equals(endpoint)) {
      return "url must be the batch's endpoint " + endpoint;
    }
    if (!(line.get("body") instanceof JsonObject requestBody)) {
      return "body is required, a JSON object";
    }
    if (!(requestBody.get("model") instanceof JsonString)) {
      return "body.model is required, a string";
    }
    if (requestBody.get("stream") == JsonValue.TRUE) {
      return "body.stream must not be true: a batch's answers go to its output file";
    }
    if (!wellFormed(requestBody.toString())) { // PostgreSQL would store '?' in its place
      return "body holds an unpaired surrogate (\\ud800-\\udfff escape): not text";
    }
    return null;
  }

  /**
   * Text PostgreSQL and the output file can hold: no NUL or other C0 control, no lone surrogate.
   */
  static boolean printable(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) { // C0, DEL and C1 controls
        return false;
      }
    }
    return wellFormed(s);
  }

  /** No unpaired UTF-16 surrogate. */
  static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static JsonObject error(String code, String message, Integer line) {
    var e =
        Json.createObjectBuilder()
            .add("code", code)
            .add("message", line == null ? message : "Line " + line + ": " + message + ".")
            .addNull("param");
    if (line == null) {
      e.addNull("line");
    } else {
      e.add("line", line);
    }
    return e.build();
  }

  /** OpenAI's metadata: at most 16 string pairs, keys up to 64 characters, values up to 512. */
  static String metadata(JsonValue value) {
    if (value == null || value == JsonValue.NULL) {
      return null;
    }
    if (!(value instanceof JsonObject m) || m.size() > 16) {
      throw new InvalidRequestException(
          "metadata", "metadata must be an object of at most 16 string values.");
    }
    for (Map.Entry<String, JsonValue> e : m.entrySet()) {
      if (e.getKey().isEmpty()
          || e.getKey().length() > 64
          || !(e.getValue() instanceof JsonString s)
          || s.getString().length() > 512) {
        throw new InvalidRequestException(
            "metadata",
            "metadata keys have 1 to 64 characters and values are strings of at most 512.");
      }
    }
    return m.toString();
  }
}

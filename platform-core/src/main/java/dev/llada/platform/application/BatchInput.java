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
import java.util.List;
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
   * Reads the input file's lines into {@code items}; each refused line (and a file of too many or
   * no requests) adds an error to {@code errors}. Returns how many errors there were.
   */
  static int read(
      java.io.InputStream input,
      String endpoint,
      int maxRequests,
      List<BatchStore.NewItem> items,
      JsonArrayBuilder errors)
      throws IOException {
    int count = 0;
    Set<String> customIds = new HashSet<>();
    BufferedReader lines = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
    String text;
    int number = 0;
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
      if (why == null && items.size() == maxRequests) {
        why = "the batch would hold more than " + maxRequests + " requests";
      }
      if (why != null) {
        if (count++ < MAX_ERRORS) {
          errors.add(error("invalid_request", why, number));
        }
        continue;
      }
      items.add(
          new BatchStore.NewItem(
              number, line.getString("custom_id"), line.getJsonObject("body").toString()));
    }
    if (count == 0 && items.isEmpty()) {
      errors.add(error("empty_file", "The input file holds no request.", null));
      count++;
    }
    return count;
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
    if (customId.isEmpty() || customId.length() > 512) {
      return "custom_id must have 1 to 512 characters";
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
    return null;
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

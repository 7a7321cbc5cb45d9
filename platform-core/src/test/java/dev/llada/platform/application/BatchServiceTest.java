package dev.llada.platform.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The rules of a batch's input lines and metadata (OpenAI's Batch API), and the lines of its output
 * and error files (docs/adr/0020).
 */
class BatchServiceTest {

  private static final String CHAT = "/v1/chat/completions";

  private static JsonObject json(String s) {
    try (var r = Json.createReader(new StringReader(s))) {
      return r.readObject();
    }
  }

  private static String why(String line, Set<String> seen) {
    return BatchInput.lineError(json(line), CHAT, seen);
  }

  private static String line(String customId, String method, String url, String body) {
    return "{\"custom_id\":"
        + customId
        + ",\"method\":"
        + method
        + ",\"url\":"
        + url
        + ",\"body\":"
        + body
        + "}";
  }

  @Test
  void aRequestLineIsCustomIdMethodUrlAndBody() {
    Set<String> seen = new HashSet<>();
    String body = "{\"model\":\"m\",\"messages\":[]}";
    assertNull(why(line("\"a\"", "\"POST\"", "\"" + CHAT + "\"", body), seen));
    assertTrue(
        why(line("\"a\"", "\"POST\"", "\"" + CHAT + "\"", body), seen).contains("earlier line"));
    assertTrue(why(line("1", "\"POST\"", "\"" + CHAT + "\"", body), seen).startsWith("custom_id"));
    assertTrue(
        why(line("\"\"", "\"POST\"", "\"" + CHAT + "\"", body), seen).startsWith("custom_id"));
    String longId = "\"" + "x".repeat(513) + "\"";
    assertTrue(
        why(line(longId, "\"POST\"", "\"" + CHAT + "\"", body), seen).startsWith("custom_id"));
    assertTrue(why(line("\"b\"", "\"GET\"", "\"" + CHAT + "\"", body), seen).startsWith("method"));
    assertTrue(why(line("\"c\"", "\"POST\"", "\"/v1/completions\"", body), seen).startsWith("url"));
    assertTrue(
        why(line("\"d\"", "\"POST\"", "\"" + CHAT + "\"", "[]"), seen).startsWith("body is"));
    assertTrue(
        why(line("\"e\"", "\"POST\"", "\"" + CHAT + "\"", "{}"), seen).startsWith("body.model"));
    assertTrue(
        why(
                line("\"f\"", "\"POST\"", "\"" + CHAT + "\"", "{\"model\":\"m\",\"stream\":true}"),
                seen)
            .startsWith("body.stream"));
    assertNull(
        why(
            line("\"g\"", "\"POST\"", "\"" + CHAT + "\"", "{\"model\":\"m\",\"stream\":false}"),
            seen));
    assertTrue(
        why(
                "{\"custom_id\":\"h\",\"method\":\"POST\",\"url\":\""
                    + CHAT
                    + "\",\"body\":{},\"x\":1}",
                seen)
            .contains("'x' is not a field"));
  }

  @Test
  void aCustomIdIsTextOfAtMost512CodePoints() {
    Set<String> seen = new HashSet<>();
    String body = "{\"model\":\"m\",\"messages\":[]}";
    String url = "\"" + CHAT + "\"";
    // 512 emoji are 1,024 chars but 512 characters: allowed
    assertNull(why(line("\"" + "\ud83d\ude00".repeat(512) + "\"", "\"POST\"", url, body), seen));
    for (String bad :
        new String[] {
          "\"a\\u0000b\"", "\"\\ud83d\"", "\"x\\ude00\"", "\"tab\\tid\"", "\"c1\\u0085\""
        }) {
      assertEquals(
          "custom_id must be text: no control characters, no unpaired surrogates",
          why(line(bad, "\"POST\"", url, body), seen),
          bad);
    }
    // a body's strings are text too: PostgreSQL would keep '?' for a lone surrogate
    assertTrue(
        why(
                line(
                    "\"s\"",
                    "\"POST\"",
                    url,
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\\udc00\"}]}"),
                seen)
            .contains("unpaired surrogate"));
  }

  private static java.io.InputStream stream(String text) {
    return new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void anInputFileIsCheckedThenStreamedWithItsLineNumbers() throws Exception {
    String ok = "{\"model\":\"m\",\"messages\":[]}";
    String file =
        line("\"a\"", "\"POST\"", "\"" + CHAT + "\"", ok)
            + "\n\n"
            + line("\"b\"", "\"POST\"", "\"" + CHAT + "\"", ok)
            + "\n";
    jakarta.json.JsonArrayBuilder errors = Json.createArrayBuilder();
    int[] counts = BatchInput.check(stream(file), CHAT, 10, errors);
    assertEquals(0, counts[0]);
    assertEquals(2, counts[1]);
    java.util.List<BatchStore.NewItem> items = new java.util.ArrayList<>();
    java.nio.file.Path spooled = java.nio.file.Files.createTempFile("batch-input-", ".jsonl");
    java.nio.file.Files.writeString(spooled, file);
    try {
      BatchInput.items(spooled, CHAT, 10).forEach(items::add);
    } finally {
      java.nio.file.Files.delete(spooled);
    }
    assertEquals(2, items.size());
    assertEquals(1, items.get(0).line());
    assertEquals(3, items.get(1).line()); // the blank line counts
    assertEquals("b", items.get(1).customId());
    assertEquals(ok, items.get(1).body());

    // over the most requests, and bad lines: each named, at most MAX_ERRORS of them
    StringBuilder many = new StringBuilder();
    for (int i = 0; i < BatchInput.MAX_ERRORS + 50; i++) {
      many.append("not json\n");
    }
    errors = Json.createArrayBuilder();
    counts = BatchInput.check(stream(file + many), CHAT, 1, errors);
    assertEquals(1 + BatchInput.MAX_ERRORS + 50, counts[0]);
    jakarta.json.JsonArray listed = errors.build();
    assertEquals(BatchInput.MAX_ERRORS, listed.size());
    assertEquals(3, listed.getJsonObject(0).getInt("line"));
    assertTrue(listed.getJsonObject(0).getString("message").contains("more than 1 requests"));
    assertEquals(
        "Line 4: it is not one JSON object.", listed.getJsonObject(1).getString("message"));

    errors = Json.createArrayBuilder();
    assertEquals(1, BatchInput.check(stream("\n \n"), CHAT, 1, errors)[0]);
    assertEquals("empty_file", errors.build().getJsonObject(0).getString("code"));
  }

  @Test
  void metadataIsAtMostSixteenShortStrings() {
    assertNull(BatchInput.metadata(null));
    assertEquals("{\"k\":\"v\"}", BatchInput.metadata(json("{\"k\":\"v\"}")));
    StringBuilder many = new StringBuilder("{");
    for (int i = 0; i < 17; i++) {
      many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
    }
    for (String bad :
        new String[] {
          many + "}",
          "{\"k\":1}",
          "{\"\":\"v\"}",
          "{\"" + "k".repeat(65) + "\":\"v\"}",
          "{\"k\":\"" + "v".repeat(513) + "\"}"
        }) {
      assertEquals(
          "metadata",
          assertThrows(InvalidRequestException.class, () -> BatchInput.metadata(json(bad))).param(),
          bad);
    }
  }

  private static Batch batch() {
    Instant now = Instant.now();
    return new Batch(
        "batch_0123456789abcdef01234567",
        UUID.randomUUID(),
        null,
        "user:a",
        "inference",
        CHAT,
        "file-0123456789abcdef01234567",
        "24h",
        "completed",
        null,
        null,
        null,
        null,
        new Batch.Times(now, now, now, null, null, null, null, null, null),
        new Batch.Counts(1, 1, 0, 0, 0));
  }

  @Test
  void outputLinesAreOpenAisAndUnrunOnesNameWhyTheyDidNotRun() {
    Batch b = batch();
    UUID request = UUID.randomUUID();
    JsonObject answered =
        json(
            BatchOutputs.line(
                b,
                new BatchStore.Ended(
                    1, "a", "succeeded", request, 200, "{\"object\":\"chat.completion\"}")));
    assertEquals("batch_req_" + request.toString().replace("-", ""), answered.getString("id"));
    assertEquals("a", answered.getString("custom_id"));
    assertEquals(200, answered.getJsonObject("response").getInt("status_code"));
    assertEquals(request.toString(), answered.getJsonObject("response").getString("request_id"));
    assertEquals(
        "chat.completion",
        answered.getJsonObject("response").getJsonObject("body").getString("object"));
    assertTrue(answered.isNull("error"));

    JsonObject expired =
        json(BatchOutputs.line(b, new BatchStore.Ended(2, "b", "expired", null, null, null)));
    assertTrue(expired.isNull("response"));
    assertEquals("batch_expired", expired.getJsonObject("error").getString("code"));
    assertTrue(expired.getString("id").matches("batch_req_[0-9a-f]{32}"));
    JsonObject cancelled =
        json(BatchOutputs.line(b, new BatchStore.Ended(3, "c", "cancelled", null, null, null)));
    assertEquals("batch_cancelled", cancelled.getJsonObject("error").getString("code"));
    // one id per line, the same each time the file is written
    assertEquals(
        cancelled.getString("id"),
        json(BatchOutputs.line(b, new BatchStore.Ended(3, "c", "cancelled", null, null, null)))
            .getString("id"));
    assertEquals(BatchOutputs.fileId(b.id(), "output"), BatchOutputs.fileId(b.id(), "output"));
    assertTrue(BatchOutputs.fileId(b.id(), "error").matches("file-[0-9a-f]{24}"));
    assertTrue(!BatchOutputs.fileId(b.id(), "error").equals(BatchOutputs.fileId(b.id(), "output")));
  }
}

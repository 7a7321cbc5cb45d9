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

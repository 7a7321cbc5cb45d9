package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StrictJsonTest {

  private static JsonObject parse(String s) {
    return StrictJson.object(s.getBytes(StandardCharsets.UTF_8));
  }

  private static InvalidRequestException refused(String s) {
    return refused(s.getBytes(StandardCharsets.UTF_8));
  }

  private static InvalidRequestException refused(byte[] body) {
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> StrictJson.object(body));
    assertEquals(400, e.status());
    assertEquals("invalid_json", e.code(), e.getMessage());
    return e;
  }

  @Test
  void readsWhatTheLenientReaderReads() {
    String body =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\ud83d\\ude00\"}],"
            + "\"max_tokens\":16,\"temperature\":0.5,\"stream\":false,\"stop\":null,\"x\":-1.5e3}";
    try (var r = Json.createReader(new StringReader(body))) {
      assertEquals(r.readObject(), parse(body));
    }
    assertEquals(Json.createObjectBuilder().build(), parse(" \n{ }\t\r\n"));
  }

  @Test
  void refusesTopLevelValuesThatAreNotObjects() {
    for (String s : new String[] {"true", "null", "[]", "\"\"", "1", "[{}]"}) {
      assertTrue(refused(s).getMessage().startsWith("The request body must be a JSON object"), s);
    }
    assertEquals("The request needs a JSON object body.", refused("").getMessage());
    assertEquals("The request needs a JSON object body.", refused("  \n").getMessage());
  }

  @Test
  void refusesTrailingDataAndASecondValue() {
    assertEquals(
        "The request body has data after its JSON value.",
        refused("{\"model\":\"llada-tiny-instruct\"} trailing").getMessage());
    assertEquals(
        "The request body has data after its JSON value.",
        refused("{\"a\":1}{\"b\":2}").getMessage());
    refused("{\"a\":1},");
    parse("{\"a\":1}   \n");
  }

  @Test
  void refusesDuplicateMembersNamingThem() {
    assertEquals("slug", refused("{\"slug\":\"a\",\"slug\":\"b\"}").param());
    assertEquals(
        "limits.max_concurrent",
        refused("{\"limits\":{\"max_concurrent\":1,\"max_concurrent\":2}}").param());
    parse("{\"a\":{\"x\":1},\"b\":{\"x\":1}}"); // the same name in two objects is fine
  }

  @Test
  void boundsTheDepth() {
    String ok = "[".repeat(StrictJson.MAX_DEPTH - 1) + "]".repeat(StrictJson.MAX_DEPTH - 1);
    parse("{\"a\":" + ok + "}");
    String deep = "[".repeat(1000) + "]".repeat(1000);
    assertTrue(refused("{\"a\":" + deep + "}").getMessage().contains("deeper than 32"));
    refused("{\"a\":".repeat(1000) + "1" + "}".repeat(1000));
    refused("[".repeat(100_000)); // never a stack overflow
  }

  @Test
  void refusesNulAndUnpairedSurrogatesInStringsAndNames() {
    assertEquals("name", refused("{\"name\":\"a\\u0000b\"}").param());
    assertEquals(
        "messages[0].content", refused("{\"messages\":[{\"content\":\"\\u0000\"}]}").param());
    refused("{\"a\\u0000\":1}");
    assertEquals("name", refused("{\"name\":\"a\\ud800b\"}").param());
    assertEquals("name", refused("{\"name\":\"\\udc00\"}").param());
    assertEquals("name", refused("{\"name\":\"\\ud800\"}").param());
    parse("{\"name\":\"\\ud83d\\ude00\"}");
  }

  @Test
  void refusesBytesThatAreNotUtf8() {
    byte[] body = "{\"name\":\"a?b\"}".getBytes(StandardCharsets.UTF_8);
    body[10] = (byte) 0xff;
    assertEquals("The request body is not valid UTF-8.", refused(body).getMessage());
    refused("\ufeff{}");
    byte[] overlong = {'{', '"', 'a', '"', ':', '"', (byte) 0xc0, (byte) 0xaf, '"', '}'};
    refused(overlong);
  }

  @Test
  void boundsNumbersAndNames() {
    assertEquals("slug", refused("{\"slug\":" + "9".repeat(100_000) + "}").param());
    assertEquals("a", refused("{\"a\":1e999999999}").param());
    assertEquals("a", refused("{\"a\":1e-999999999}").param());
    // exponents beyond int: BigDecimal throws NumberFormatException, which must not become a 500
    for (String n :
        new String[] {"1e9999999999", "1e99999999999", "1e-2147483649", "-1E+3000000000"}) {
      assertEquals("a", refused("{\"a\":" + n + "}").param(), n);
    }
    assertEquals(3_000_000_000L, parse("{\"a\":3000000000}").getJsonNumber("a").longValueExact());
    assertEquals(0, parse("{\"a\":0e999999999}").getJsonNumber("a").intValue());
    assertNull(refused("{\"" + "k".repeat(300) + "\":1}").param());
  }

  @Test
  void boundsTheNumberOfValues() {
    String many = "{\"a\":[" + "0,".repeat(StrictJson.MAX_VALUES) + "0]}";
    assertTrue(refused(many).getMessage().contains("more than " + StrictJson.MAX_VALUES));
    parse("{\"a\":[" + "0,".repeat(1000) + "0]}");
  }

  @Test
  void refusesMalformedJson() {
    for (String s :
        new String[] {
          "{",
          "{\"a\":}",
          "{\"a\" 1}",
          "{'a':1}",
          "{\"a\":01}",
          "{\"a\":NaN}",
          "{a:1}",
          "{\"a\":1,}"
        }) {
      refused(s);
    }
  }

  /** Random byte strings: every one is parsed or refused with a 400, never anything else. */
  @Test
  void randomInputIsParsedOrRefusedNeverCrashes() {
    Random random = new Random(13);
    String alphabet = "{}[]\":,0123456789.eE+-tfnrulas \\u\u0000\ud800é";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder("{");
      int n = random.nextInt(40);
      for (int j = 0; j < n; j++) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      byte[] body = s.toString().getBytes(StandardCharsets.UTF_8);
      if (random.nextInt(10) == 0 && body.length > 0) {
        body[random.nextInt(body.length)] = (byte) random.nextInt(256);
      }
      try {
        StrictJson.object(body);
      } catch (InvalidRequestException e) {
        assertEquals(400, e.status());
      }
    }
  }
}

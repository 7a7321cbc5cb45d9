package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/**
 * The one JSON reader of request bodies (RFC 8259, strictly): UTF-8 only, exactly one value and
 * nothing after it, no duplicate member names, no NUL or unpaired surrogate in any string, nesting
 * at most {@link #MAX_DEPTH} deep, member names at most {@link #MAX_NAME_LENGTH} characters, and
 * numbers that are short and within double range. Every refusal is a 400 {@code invalid_json}
 * naming the member at fault (as {@code a.b[2].c}) where there is one; a body holds at most {@link
 * #MAX_VALUES} values. Built on the JSON-P streaming parser, so the tree is assembled only from
 * what passed these checks.
 */
public final class StrictJson {

  /** Deepest nesting of objects and arrays accepted. */
  public static final int MAX_DEPTH = 32;

  /** Longest member name accepted. */
  public static final int MAX_NAME_LENGTH = 256;

  /** Longest number literal accepted (a longer one is a denial of service, not a number). */
  public static final int MAX_NUMBER_LENGTH = 64;

  /** Most values (members, elements, scalars) in one body: memory stays a small multiple of it. */
  public static final int MAX_VALUES = 100_000;

  /** Largest decimal exponent accepted (doubles end near 1e308). */
  private static final int MAX_EXPONENT = 400;

  /**
   * Looked up once: {@code Json.createX} asks the service loader for the provider on every call,
   * which made a body of 2,000 messages take 380 times as long as Parsson's own reader
   * (docs/BENCHMARKS.md, 2026-12-01 (f)).
   */
  private static final JsonProvider JSON = JsonProvider.provider();

  private StrictJson() {}

  /** Parses a request body that must be one JSON object. */
  public static JsonObject object(byte[] body) {
    JsonValue v = value(body);
    if (v instanceof JsonObject o) {
      return o;
    }
    throw new InvalidRequestException(
        "invalid_json",
        null,
        "The request body must be a JSON object, got " + describe(v.getValueType()) + ".");
  }

  /** Parses a request body holding exactly one JSON value. */
  public static JsonValue value(byte[] body) {
    String text = utf8(body);
    if (text.startsWith("\ufeff")) {
      throw invalid(null, "The request body starts with a byte order mark (RFC 8259 §8.1).");
    }
    if (text.isBlank()) {
      throw new InvalidRequestException(
          "invalid_json", null, "The request needs a JSON object body.");
    }
    try (JsonParser parser = JSON.createParser(new StringReader(text))) {
      if (!parser.hasNext()) {
        throw new InvalidRequestException(
            "invalid_json", null, "The request needs a JSON object body.");
      }
      JsonValue value = read(parser, parser.next(), new Path(), 0);
      boolean more;
      try {
        more = parser.hasNext();
      } catch (jakarta.json.JsonException e) {
        more = true;
      }
      if (more) {
        throw invalid(null, "The request body has data after its JSON value.");
      }
      return value;
    } catch (JsonParsingException e) {
      var at = e.getLocation();
      String where =
          at == null
              ? ""
              : " (line " + at.getLineNumber() + ", column " + at.getColumnNumber() + ")";
      throw invalid(null, "The request body is not valid JSON" + where + ".");
    } catch (jakarta.json.JsonException e) {
      throw invalid(null, "The request body is not valid JSON.");
    }
  }

  private static String utf8(byte[] body) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(body))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalid(null, "The request body is not valid UTF-8.");
    }
  }

  private static JsonValue read(JsonParser p, JsonParser.Event event, Path path, int depth) {
    if (path.count++ >= MAX_VALUES) {
      throw invalid(null, "The request body has more than " + MAX_VALUES + " JSON values.");
    }
    switch (event) {
      case START_OBJECT:
        return object(p, path, depth + 1);
      case START_ARRAY:
        return array(p, path, depth + 1);
      case VALUE_STRING:
        return JSON.createValue(checked(p.getString(), path));
      case VALUE_NUMBER:
        return number(p.getString(), path);
      case VALUE_TRUE:
        return JsonValue.TRUE;
      case VALUE_FALSE:
        return JsonValue.FALSE;
      case VALUE_NULL:
        return JsonValue.NULL;
      default:
        throw invalid(path.toString(), "The request body is not valid JSON.");
    }
  }

  private static JsonObject object(JsonParser p, Path path, int depth) {
    deep(path, depth);
    JsonObjectBuilder out = JSON.createObjectBuilder();
    Set<String> names = new HashSet<>();
    while (true) {
      JsonParser.Event e = p.next();
      if (e == JsonParser.Event.END_OBJECT) {
        return out.build();
      }
      String name = p.getString();
      path.member(name);
      if (name.length() > MAX_NAME_LENGTH) {
        throw invalid(
            path.parent(), "A member name is longer than " + MAX_NAME_LENGTH + " characters.");
      }
      checked(name, path);
      if (!names.add(name)) {
        throw invalid(path.toString(), "'" + path + "' appears twice in the same object.");
      }
      out.add(name, read(p, p.next(), path, depth));
      path.pop();
    }
  }

  private static JsonValue array(JsonParser p, Path path, int depth) {
    deep(path, depth);
    JsonArrayBuilder out = JSON.createArrayBuilder();
    for (int i = 0; ; i++) {
      JsonParser.Event e = p.next();
      if (e == JsonParser.Event.END_ARRAY) {
        return out.build();
      }
      path.index(i);
      out.add(read(p, e, path, depth));
      path.pop();
    }
  }

  private static void deep(Path path, int depth) {
    if (depth > MAX_DEPTH) {
      throw invalid(
          path.toString(), "The request body nests deeper than " + MAX_DEPTH + " levels.");
    }
  }

  private static JsonValue number(String literal, Path path) {
    if (literal.length() > MAX_NUMBER_LENGTH) {
      throw invalid(
          path.toString(),
          "'" + path + "' is a number of more than " + MAX_NUMBER_LENGTH + " characters.");
    }
    BigDecimal n;
    try {
      n = new BigDecimal(literal);
    } catch (NumberFormatException e) { // an exponent beyond int: "1e9999999999"
      throw invalid(path.toString(), "'" + path + "' is out of range.");
    }
    long exponent = (long) n.precision() - n.scale() - 1;
    if (n.signum() != 0 && Math.abs(exponent) > MAX_EXPONENT) {
      throw invalid(path.toString(), "'" + path + "' is out of range.");
    }
    return JSON.createValue(n);
  }

  /** Refuses NUL, other C0 controls are legal JSON escapes; unpaired surrogates are not text. */
  private static String checked(String s, Path path) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        throw invalid(path.toString(), "'" + path + "' contains a NUL character (\\u0000).");
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        throw invalid(path.toString(), "'" + path + "' contains an unpaired UTF-16 surrogate.");
      }
      if (Character.isLowSurrogate(c)) {
        throw invalid(path.toString(), "'" + path + "' contains an unpaired UTF-16 surrogate.");
      }
    }
    return s;
  }

  private static InvalidRequestException invalid(String param, String message) {
    return new InvalidRequestException(
        "invalid_json", param == null || param.isEmpty() ? null : param, message);
  }

  private static String describe(JsonValue.ValueType type) {
    return switch (type) {
      case ARRAY -> "an array";
      case STRING -> "a string";
      case NUMBER -> "a number";
      case TRUE, FALSE -> "a boolean";
      case NULL -> "null";
      case OBJECT -> "an object";
    };
  }

  /** Where the parser is, as {@code messages[0].content}, for error messages. */
  private static final class Path {
    private final Deque<String> parts = new ArrayDeque<>();
    private int count;

    void member(String name) {
      String shown = name.length() > 64 ? name.substring(0, 64) + "…" : name;
      parts.addLast(parts.isEmpty() ? shown : "." + shown);
    }

    void index(int i) {
      parts.addLast("[" + i + "]");
    }

    void pop() {
      parts.removeLast();
    }

    String parent() {
      String last = parts.removeLast();
      String out = toString();
      parts.addLast(last);
      return out;
    }

    @Override
    public String toString() {
      return String.join("", parts).replace("\u0000", "\\u0000");
    }
  }
}

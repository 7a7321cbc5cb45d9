package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.JsonArray;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;

/** Reads fields of a request body, answering 400 with the parameter's name when one is wrong. */
public final class JsonFields {

  private JsonFields() {}

  public static JsonObject body(JsonObject body) {
    if (body == null) {
      throw new InvalidRequestException(null, "The request needs a JSON object body.");
    }
    return body;
  }

  public static boolean present(JsonObject o, String name) {
    return o.containsKey(name) && o.get(name).getValueType() != JsonValue.ValueType.NULL;
  }

  public static String string(JsonObject o, String name, String fallback) {
    if (!present(o, name)) {
      return fallback;
    }
    if (o.get(name) instanceof JsonString s) {
      return s.getString();
    }
    throw new InvalidRequestException(name, "'" + name + "' must be a string.");
  }

  public static String requiredString(JsonObject o, String name) {
    String s = string(o, name, null);
    if (s == null) {
      throw new InvalidRequestException(name, "'" + name + "' is required.");
    }
    return s;
  }

  public static Long integer(JsonObject o, String name, Long fallback) {
    if (!present(o, name)) {
      return fallback;
    }
    if (o.get(name) instanceof JsonNumber n && n.isIntegral()) {
      try {
        return n.longValueExact();
      } catch (ArithmeticException e) {
        // falls through to the error below
      }
    }
    throw new InvalidRequestException(name, "'" + name + "' must be an integer.");
  }

  public static int intIn(JsonObject o, String name, int fallback, int min, int max) {
    long v = integer(o, name, (long) fallback);
    if (v < min || v > max) {
      throw new InvalidRequestException(
          name, "'" + name + "' must be between " + min + " and " + max + ", got " + v + ".");
    }
    return (int) v;
  }

  public static double number(JsonObject o, String name, double fallback, double min, double max) {
    if (!present(o, name)) {
      return fallback;
    }
    if (o.get(name) instanceof JsonNumber n) {
      double v = n.doubleValue();
      if (v >= min && v <= max) {
        return v;
      }
      throw new InvalidRequestException(
          name, "'" + name + "' must be between " + min + " and " + max + ", got " + v + ".");
    }
    throw new InvalidRequestException(name, "'" + name + "' must be a number.");
  }

  public static Boolean bool(JsonObject o, String name, Boolean fallback) {
    if (!present(o, name)) {
      return fallback;
    }
    JsonValue v = o.get(name);
    if (v == JsonValue.TRUE) {
      return true;
    }
    if (v == JsonValue.FALSE) {
      return false;
    }
    throw new InvalidRequestException(name, "'" + name + "' must be true or false.");
  }

  public static JsonObject object(JsonObject o, String name) {
    if (!present(o, name)) {
      return null;
    }
    if (o.get(name) instanceof JsonObject obj) {
      return obj;
    }
    throw new InvalidRequestException(name, "'" + name + "' must be an object.");
  }

  public static List<String> strings(JsonObject o, String name) {
    if (!present(o, name)) {
      return null;
    }
    if (!(o.get(name) instanceof JsonArray a)) {
      throw new InvalidRequestException(name, "'" + name + "' must be an array of strings.");
    }
    List<String> out = new ArrayList<>();
    for (JsonValue v : a) {
      if (!(v instanceof JsonString s)) {
        throw new InvalidRequestException(name, "'" + name + "' must be an array of strings.");
      }
      out.add(s.getString());
    }
    return out;
  }
}

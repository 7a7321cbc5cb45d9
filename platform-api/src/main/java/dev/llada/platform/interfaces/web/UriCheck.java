package dev.llada.platform.interfaces.web;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks a request's path and query as sent (still percent-encoded): every escape well formed, the
 * decoded bytes valid UTF-8 (RFC 3986 §2.5), and no control character (C0, DEL, C1), backslash or
 * raw non-ASCII byte anywhere. Nothing downstream then has to guess at an encoding, and no NUL
 * reaches a database column.
 */
final class UriCheck {

  private UriCheck() {}

  /** Why a URI was refused; {@code param} names the query parameter, null for the path. */
  record Problem(String param, String message) {}

  /** The problem with the raw request path, or null. */
  static Problem path(String rawPath) {
    String decoded = decode(rawPath, false);
    if (decoded == null) {
      return new Problem(null, "The request path is not valid percent-encoded UTF-8.");
    }
    if (hasControl(decoded) || decoded.indexOf('\\') >= 0) {
      return new Problem(null, "The request path contains a control character or a backslash.");
    }
    return null;
  }

  /**
   * What the connector must refuse itself in a raw request target (path and query as sent): all of
   * {@link #path}, and dot segments that climb above the root. Null when it may pass.
   */
  static String connectorProblem(String rawTarget) {
    int query = rawTarget.indexOf('?');
    String rawPath = query < 0 ? rawTarget : rawTarget.substring(0, query);
    Problem p = path(rawPath);
    if (p != null) {
      return p.message();
    }
    int depth = 0;
    for (String segment : decode(rawPath, false).split("/", -1)) {
      if (segment.equals("..")) {
        if (--depth < 0) {
          return "The request path climbs above the root ('..').";
        }
      } else if (!segment.isEmpty() && !segment.equals(".")) {
        depth++;
      }
    }
    return null;
  }

  /** The problem with the raw query string, or null. */
  static Problem query(String rawQuery) {
    for (String pair : rawQuery.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq), true);
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1), true);
      String shown = name == null || hasControl(name) ? null : shown(name);
      if (name == null || value == null) {
        return new Problem(shown, "The query string is not valid percent-encoded UTF-8.");
      }
      if (hasControl(name) || hasControl(value)) {
        return new Problem(
            shown,
            "Query parameter "
                + (shown == null ? "" : "'" + shown + "' ")
                + "contains a control character.");
      }
    }
    return null;
  }

  private static String shown(String name) {
    return name.length() > 64 ? name.substring(0, 64) : name;
  }

  /** Percent-decodes {@code s} as UTF-8, strictly; null when it is not well formed. */
  static String decode(String s, boolean plusIsSpace) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length()) {
          return null;
        }
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else if (c > 0x7e || c < 0x20) {
        return null; // raw bytes outside printable ASCII must be percent-encoded
      } else {
        bytes.write(plusIsSpace && c == '+' ? ' ' : c);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
        return true;
      }
    }
    return false;
  }
}

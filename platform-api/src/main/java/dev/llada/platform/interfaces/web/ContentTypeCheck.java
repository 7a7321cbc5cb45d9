package dev.llada.platform.interfaces.web;

/**
 * Whether a {@code Content-Type} is a media type as RFC 9110 §8.3.1 writes one: {@code type "/"
 * subtype *( OWS ";" OWS [ name "=" ( token / quoted-string ) ] )}. The edge refuses any other in
 * the envelope; past it, Jersey fails to parse the header and answers a bare 400 with no body
 * (found by FilesIT's upload fuzz).
 */
final class ContentTypeCheck {

  private ContentTypeCheck() {}

  private static boolean tchar(char c) {
    return c >= '0' && c <= '9'
        || c >= 'a' && c <= 'z'
        || c >= 'A' && c <= 'Z'
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }

  /** The end of the token at {@code i}, or {@code i} when there is none. */
  private static int token(String s, int i) {
    while (i < s.length() && tchar(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static int spaces(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
      i++;
    }
    return i;
  }

  /** Whether {@code value} is a well-formed media type. */
  static boolean valid(String value) {
    String s = value.strip();
    int i = token(s, 0);
    if (i == 0 || i >= s.length() || s.charAt(i) != '/') {
      return false;
    }
    int j = token(s, i + 1);
    if (j == i + 1) {
      return false;
    }
    i = j;
    while (true) {
      i = spaces(s, i);
      if (i == s.length()) {
        return true;
      }
      if (s.charAt(i) != ';') {
        return false;
      }
      i = spaces(s, i + 1);
      if (i == s.length()) {
        return true; // a trailing ";" is allowed
      }
      if (s.charAt(i) == ';') {
        continue; // an empty parameter is allowed
      }
      j = token(s, i);
      if (j == i || j >= s.length() || s.charAt(j) != '=') {
        return false;
      }
      i = j + 1;
      if (i < s.length() && s.charAt(i) == '"') {
        i++;
        while (i < s.length() && s.charAt(i) != '"') {
          char c = s.charAt(i);
          if (c == '\\') {
            i++; // quoted-pair: the next character as it is
            if (i >= s.length()) {
              return false;
            }
            c = s.charAt(i);
          }
          if (c < 0x20 && c != '\t' || c == 0x7f) {
            return false;
          }
          i++;
        }
        if (i >= s.length()) {
          return false; // unclosed quote
        }
        i++;
      } else {
        j = token(s, i);
        if (j == i) {
          return false;
        }
        i = j;
      }
    }
  }
}

package dev.llada.platform.interfaces.web;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The sha256 an upload is known by for {@code Idempotency-Key}: of its body with every occurrence
 * of its multipart boundary replaced by one fixed token. Clients draw a new random boundary for
 * every request, a retry too; the parts themselves, what the request means, are what must match.
 */
public final class UploadDigest {

  private static final byte[] TOKEN = "\u0000boundary\u0000".getBytes(StandardCharsets.UTF_8);

  private UploadDigest() {}

  /** The boundary a {@code multipart/*} content type names, or null. */
  public static String boundary(String contentType) {
    if (contentType == null) {
      return null;
    }
    for (String param : contentType.split(";")) {
      String p = param.strip();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring("boundary=".length()).strip();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        return b.isEmpty() ? null : b;
      }
    }
    return null;
  }

  /** The hex digest of {@code body} with {@code boundary} (when not null) made canonical. */
  public static String of(Path body, String boundary) throws IOException {
    MessageDigest digest = sha256();
    // the delimiter as it stands in the body (RFC 2046: "--" boundary), never inside a part
    byte[] pattern =
        boundary == null ? null : ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    try (InputStream in = Files.newInputStream(body)) {
      if (pattern == null) {
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) > 0) {
          digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
      }
      int[] fail = failure(pattern);
      byte[] carry = new byte[0];
      byte[] chunk;
      while ((chunk = in.readNBytes(1 << 16)).length > 0) {
        byte[] window = concat(carry, chunk);
        int done = 0; // bytes of window already digested
        for (int at = indexOf(window, pattern, fail, 0);
            at >= 0;
            at = indexOf(window, pattern, fail, done)) {
          digest.update(window, done, at - done);
          digest.update(TOKEN);
          done = at + pattern.length;
        }
        // keep what could start an occurrence that the next chunk completes
        int keep = Math.max(done, window.length - (pattern.length - 1));
        digest.update(window, done, keep - done);
        carry = Arrays.copyOfRange(window, keep, window.length);
      }
      digest.update(carry);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** RFC 2046's boundary: 1 to 70 characters of bchars, not ending in a space. */
  public static boolean validBoundary(String boundary) {
    if (boundary == null || boundary.isEmpty() || boundary.length() > 70) {
      return false;
    }
    if (boundary.endsWith(" ")) {
      return false;
    }
    for (int i = 0; i < boundary.length(); i++) {
      char c = boundary.charAt(i);
      boolean ok =
          c >= '0' && c <= '9'
              || c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || "'()+_,-./:=? ".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * The first occurrence of {@code pattern} in {@code data} from {@code from}: Knuth–Morris–Pratt.
   */
  private static int indexOf(byte[] data, byte[] pattern, int[] fail, int from) {
    int k = 0;
    for (int i = from; i < data.length; i++) {
      while (k > 0 && data[i] != pattern[k]) {
        k = fail[k - 1];
      }
      if (data[i] == pattern[k]) {
        k++;
      }
      if (k == pattern.length) {
        return i - pattern.length + 1;
      }
    }
    return -1;
  }

  /** Knuth–Morris–Pratt's failure table of {@code pattern} (CappedRequest counts with it too). */
  static int[] failure(byte[] pattern) {
    int[] fail = new int[pattern.length];
    for (int i = 1, k = 0; i < pattern.length; i++) {
      while (k > 0 && pattern[i] != pattern[k]) {
        k = fail[k - 1];
      }
      if (pattern[i] == pattern[k]) {
        k++;
      }
      fail[i] = k;
    }
    return fail;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

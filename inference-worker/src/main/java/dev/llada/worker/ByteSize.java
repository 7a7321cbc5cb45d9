package dev.llada.worker;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes in bytes as operators write them: {@code 8g}, {@code 512MiB}, {@code 1.5GB}, {@code 4096}.
 */
public final class ByteSize {

  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(?:i?b)?", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /**
   * {@code text} in bytes; the units k, m, g and t (with or without "b"/"ib") are powers of 1024.
   *
   * @throws IllegalArgumentException when it is not a positive size
   */
  public static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size (write e.g. 4096, 512m, 8g or 1.5GiB)");
    }
    int shift = 10 * "kmgt".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 10;
    double bytes = Double.parseDouble(m.group(1)) * (m.group(2).isEmpty() ? 1 : Math.pow(2, shift));
    if (bytes < 1 || bytes >= Long.MAX_VALUE) {
      throw new IllegalArgumentException("'" + text + "' is not a positive size that fits 63 bits");
    }
    return (long) bytes;
  }

  /** {@code bytes} for people: {@code 3.4 MiB}, {@code 92.1 GiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    int unit = (63 - Long.numberOfLeadingZeros(bytes)) / 10;
    return String.format(
        Locale.ROOT, "%.1f %siB", bytes / Math.pow(1024, unit), "KMGTPE".charAt(unit - 1));
  }
}

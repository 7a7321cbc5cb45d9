package dev.llada.core.cli;

/** Parsing of {@code 1,2,3} id lists. */
final class Ids {

  private Ids() {}

  static int[] parse(String text, int vocabulary) {
    String[] parts = text.trim().split("\\s*,\\s*");
    int[] ids = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        ids[i] = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--ids must be comma-separated integers, got '" + parts[i] + "'");
      }
      if (ids[i] < 0 || ids[i] >= vocabulary) {
        throw new IllegalArgumentException(
            "token id " + ids[i] + " is outside the vocabulary (0.." + (vocabulary - 1) + ")");
      }
    }
    if (ids.length == 0 || text.isBlank()) {
      throw new IllegalArgumentException("--ids is empty");
    }
    return ids;
  }
}

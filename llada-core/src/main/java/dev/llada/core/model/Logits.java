package dev.llada.core.model;

/**
 * Logits for {@code rows × positions × vocab}, row-major in one array.
 *
 * @param rows batch rows
 * @param positions sequence positions asked for (a window {@code [from, to)})
 * @param vocab LM-head rows (the embedding size)
 * @param data {@code rows * positions * vocab} values
 */
public record Logits(int rows, int positions, int vocab, float[] data) {

  public Logits {
    if ((long) rows * positions * vocab != data.length) {
      throw new IllegalArgumentException(
          "logits data does not match " + rows + "x" + positions + "x" + vocab);
    }
  }

  /** Index of the first vocabulary entry of (row, position). */
  public int offset(int row, int position) {
    return (row * positions + position) * vocab;
  }

  public float get(int row, int position, int token) {
    return data[offset(row, position) + token];
  }
}

package dev.llada.core.sampling;

import java.util.Arrays;

/**
 * The result of a generation.
 *
 * @param sequences per row, the prompt (as given, padding included) followed by the generated
 *     tokens
 * @param promptLength columns of prompt
 * @param nfe forward passes run (each covers 2B rows when CFG is on)
 */
public record Generation(int[][] sequences, int promptLength, int nfe) {

  /** The generated part of row {@code r}. */
  public int[] completion(int r) {
    return Arrays.copyOfRange(sequences[r], promptLength, sequences[r].length);
  }
}

package dev.llada.core.sampling;

import java.util.Arrays;

/**
 * The result of a generation.
 *
 * @param sequences per row, the prompt (as given, padding included) followed by the generated
 *     tokens
 * @param promptLength columns of prompt
 * @param nfe forward passes run (each covers 2B rows when CFG is on)
 * @param queryPositions Σ over forwards of the positions each computed for one row, doubled with
 *     CFG (the billing unit of ARCHITECTURE.md's cross-issue contract: a cached step costs its
 *     query, not the canvas)
 */
public record Generation(int[][] sequences, int promptLength, int nfe, long queryPositions) {

  /** The generated part of row {@code r}. */
  public int[] completion(int r) {
    return Arrays.copyOfRange(sequences[r], promptLength, sequences[r].length);
  }

  /** The answer of row {@code r}: its completion up to (excluding) the first EOS or EoT. */
  public int[] answer(int r, SpecialTokens special) {
    int[] c = completion(r);
    return Arrays.copyOf(c, firstStop(c, special));
  }

  /**
   * Whether a canvas row's answer is fixed: a stop token (EOS or EoT) committed after the prompt
   * with no mask before it, or no mask left at all (early stop's rule).
   */
  static boolean answerFixed(int[] row, int promptLength, SpecialTokens special) {
    for (int i = promptLength; i < row.length; i++) {
      if (row[i] == special.maskId()) {
        return false;
      }
      if (row[i] == special.eosId() || row[i] == special.eotId()) {
        return true;
      }
    }
    return true;
  }

  /** Index of the first EOS or end-of-turn id, or the length when there is none. */
  public static int firstStop(int[] generated, SpecialTokens special) {
    for (int i = 0; i < generated.length; i++) {
      if (generated[i] == special.eosId() || generated[i] == special.eotId()) {
        return i;
      }
    }
    return generated.length;
  }
}

package dev.llada.core.sampling;

import dev.llada.core.model.MaskPredictor;
import java.util.Arrays;

/**
 * The canvas a generation starts from (llada-spec §2.2): each left-padded prompt followed by {@code
 * gen_length} masks, the attention mask extended over them, and {@code prompt_index}, every
 * original prompt column (padding included), fixed at the start (§2.6).
 */
final class DiffusionCanvas {

  final int[][] x;
  final boolean[][] attention;
  final boolean[][] promptIndex;
  final int promptLength;

  DiffusionCanvas(
      int[][] prompt,
      boolean[][] attentionMask,
      SamplingConfig config,
      MaskPredictor model,
      SpecialTokens special) {
    int rows = prompt.length;
    if (rows == 0) {
      throw new IllegalArgumentException("the batch has no prompts");
    }
    promptLength = prompt[0].length;
    int length = promptLength + config.genLength();
    if (length > model.config().maxSequenceLength()) {
      throw new IllegalArgumentException(
          "prompt ("
              + promptLength
              + ") + gen_length ("
              + config.genLength()
              + ") exceeds the model's max_sequence_length "
              + model.config().maxSequenceLength());
    }
    if (special.maskId() == special.eosId()) {
      throw new IllegalArgumentException("the padding/EOS id must differ from the mask id");
    }
    int mask = special.maskId();
    x = new int[rows][length];
    attention = attentionMask == null ? null : new boolean[rows][length];
    for (int r = 0; r < rows; r++) {
      if (prompt[r].length != promptLength) {
        throw new IllegalArgumentException("prompts must be left-padded to one length");
      }
      System.arraycopy(prompt[r], 0, x[r], 0, promptLength);
      Arrays.fill(x[r], promptLength, length, mask);
      if (attention != null) {
        System.arraycopy(attentionMask[r], 0, attention[r], 0, promptLength);
        Arrays.fill(attention[r], promptLength, length, true);
      }
    }
    promptIndex = new boolean[rows][length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        promptIndex[r][i] = x[r][i] != mask;
      }
    }
  }

  /** Masked positions of row {@code r} in {@code [lo, hi)}. */
  int masks(int r, int lo, int hi, int maskId) {
    int n = 0;
    for (int i = lo; i < hi; i++) {
      if (x[r][i] == maskId) {
        n++;
      }
    }
    return n;
  }

  /** Whether any row has a mask in {@code [lo, hi)}. */
  boolean anyMaskIn(int lo, int hi, int maskId) {
    for (int r = 0; r < x.length; r++) {
      if (masks(r, lo, hi, maskId) > 0) {
        return true;
      }
    }
    return false;
  }

  /** The first masked position before {@code hi} in any row, or −1. */
  int firstMask(int hi, int maskId) {
    int first = -1;
    for (int[] row : x) {
      for (int i = 0; i < hi; i++) {
        if (row[i] == maskId) {
          if (first < 0 || i < first) {
            first = i;
          }
          break;
        }
      }
    }
    return first;
  }
}

package dev.llada.core.sampling;

import dev.llada.core.model.Logits;

/**
 * Unsupervised classifier-free guidance (llada-spec §2.6, paper Eq. 16): the conditional rows and
 * their unconditional copies (every prompt column masked) go through one forward as 2B rows, and
 * the logits become uncond + (w + 1)·(cond − uncond).
 */
public final class ClassifierFreeGuidance {

  private ClassifierFreeGuidance() {}

  /**
   * Mixes a stacked (conditional rows first, then unconditional) result into B rows, on the heap;
   * {@code stacked} stays the caller's to close.
   */
  public static Logits combine(Logits stacked, double cfgScale) {
    if (stacked.rows() % 2 != 0) {
      throw new IllegalArgumentException("guidance needs conditional and unconditional rows");
    }
    int rows = stacked.rows() / 2;
    int vocab = stacked.vocab();
    int half = rows * stacked.positions() * vocab;
    float[] guided = new float[half];
    float[] uncond = new float[vocab];
    float w = (float) cfgScale;
    for (int j = 0; j < half; j += vocab) { // one (row, position) at a time
      stacked.read(j, guided, j, vocab);
      stacked.read(half + j, uncond, 0, vocab);
      for (int v = 0; v < vocab; v++) {
        guided[j + v] = uncond[v] + (w + 1) * (guided[j + v] - uncond[v]);
      }
    }
    return new Logits(rows, stacked.positions(), stacked.vocab(), guided);
  }
}

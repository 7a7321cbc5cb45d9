package dev.llada.core.sampling;

import dev.llada.core.model.Logits;

/**
 * Unsupervised classifier-free guidance (llada-spec §2.6, paper Eq. 16): the conditional rows and
 * their unconditional copies (every prompt column masked) go through one forward as 2B rows, and
 * the logits become uncond + (w + 1)·(cond − uncond).
 */
public final class ClassifierFreeGuidance {

  private ClassifierFreeGuidance() {}

  /** Mixes a stacked (conditional rows first, then unconditional) result into B rows. */
  public static Logits combine(Logits stacked, double cfgScale) {
    if (stacked.rows() % 2 != 0) {
      throw new IllegalArgumentException("guidance needs conditional and unconditional rows");
    }
    int rows = stacked.rows() / 2;
    int half = rows * stacked.positions() * stacked.vocab();
    float[] data = stacked.data();
    float[] guided = new float[half];
    float w = (float) cfgScale;
    for (int j = 0; j < half; j++) {
      float uncond = data[half + j];
      guided[j] = uncond + (w + 1) * (data[j] - uncond);
    }
    return new Logits(rows, stacked.positions(), stacked.vocab(), guided);
  }
}

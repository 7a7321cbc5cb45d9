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
    return dev.llada.core.model.VocabularyReductions.guide(stacked, cfgScale);
  }
}

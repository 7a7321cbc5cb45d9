package dev.llada.core.vision;

import dev.llada.core.config.ModelFormatException;

/**
 * A SigLIP-style vision tower (llada-spec §8; Hugging Face {@code SiglipVisionConfig} keys) and the
 * layer whose output LLaDA-V takes ({@code mm_vision_select_layer}, −2: the second-to-last encoder
 * layer's output, before the post-layernorm).
 *
 * @param hidden {@code hidden_size}
 * @param intermediate {@code intermediate_size}
 * @param layers {@code num_hidden_layers}
 * @param heads {@code num_attention_heads}
 * @param patch {@code patch_size}
 * @param imageSize {@code image_size}
 * @param layerNormEps {@code layer_norm_eps}
 * @param selectLayer index into the hidden states [embeddings, layer 1, …, layer N]; negative from
 *     the end
 */
public record VisionConfig(
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int patch,
    int imageSize,
    double layerNormEps,
    int selectLayer) {

  public VisionConfig {
    if (hidden < 1 || intermediate < 1 || layers < 1 || heads < 1 || patch < 1) {
      throw new ModelFormatException("vision config sizes must be positive");
    }
    if (hidden % heads != 0) {
      throw new ModelFormatException(
          "vision hidden_size " + hidden + " must be divisible by num_attention_heads " + heads);
    }
    if (imageSize < patch) {
      throw new ModelFormatException(
          "vision image_size " + imageSize + " must be at least patch_size " + patch);
    }
    int index = selectLayer < 0 ? layers + 1 + selectLayer : selectLayer;
    if (index < 0 || index > layers) {
      throw new ModelFormatException(
          "mm_vision_select_layer "
              + selectLayer
              + " is outside the tower's "
              + layers
              + " layers");
    }
  }

  /**
   * Patches per image side: the stride-{@code patch} "valid" convolution's output, ⌊image / patch⌋
   * (SigLIP so400m: 384 / 14 → 27; the last 6 pixel rows and columns are not seen).
   */
  public int grid() {
    return imageSize / patch;
  }

  /** Patches (= image features) per image. */
  public int patches() {
    return grid() * grid();
  }

  /** How many encoder layers run to reach the selected hidden state. */
  public int layersRun() {
    return selectLayer < 0 ? layers + 1 + selectLayer : selectLayer;
  }
}

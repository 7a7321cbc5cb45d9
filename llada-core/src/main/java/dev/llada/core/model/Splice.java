package dev.llada.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Embedding rows that replace the token embeddings at some canvas positions: LLaDA-V's image
 * features at each {@code <image>} placeholder (llada-spec §8; the reference builds {@code
 * inputs_embeds} so). Feature row {@code i} goes to canvas row {@code rows[i]}, position {@code
 * positions[i]}; the token id there is ignored.
 *
 * @param features (S, d_model) rows, in the forward's graph (gradients reach the projector)
 */
public record Splice(int[] rows, int[] positions, NDArray features) {

  public Splice {
    if (rows.length != positions.length || rows.length != features.getShape().get(0)) {
      throw new IllegalArgumentException(
          "a splice needs one row and one position per feature row: "
              + rows.length
              + ", "
              + positions.length
              + ", "
              + features.getShape().get(0));
    }
  }
}

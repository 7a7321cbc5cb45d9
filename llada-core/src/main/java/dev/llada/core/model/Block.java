package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import dev.llada.core.config.MoeSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * One transformer block's parameters: pre-norm bidirectional attention (q, k and v stacked into one
 * [d + 2·kv, d] projection; per-head q and k norms where the family has them), then a pre-norm
 * feed-forward that is a SwiGLU or routed experts.
 *
 * @param qNorm per-head query RMSNorm weight (head_dim), or null
 * @param kNorm per-head key RMSNorm weight (head_dim), or null
 */
record Block(
    NDArray attnNorm,
    NDArray qkv,
    NDArray attnOut,
    NDArray qNorm,
    NDArray kNorm,
    NDArray ffNorm,
    FeedForward ffn) {

  /** The feed-forward of a block. */
  sealed interface FeedForward permits SwiGlu, RoutedExperts {}

  /** down(SiLU(gate·x) ⊙ up·x), gate and up stacked into one [2·ff, d] projection. */
  record SwiGlu(NDArray gateUp, NDArray down) implements FeedForward {}

  /**
   * LLaDA-MoE's experts (llada-spec §7.1): a router [E, d], every expert's gate and up stacked into
   * [E, 2·ff, d] and its down projection into [E, d, ff], and the optional score bias [E].
   */
  record RoutedExperts(NDArray router, NDArray gateUp, NDArray down, NDArray bias, MoeSpec spec)
      implements FeedForward {}

  /**
   * The block's weights in the order its TorchScript forward reads them: dense {@code attn_norm,
   * qkv, attn_out, ff_norm, gate_up, ff_out}; MoE {@code attn_norm, qkv, attn_out, q_norm, k_norm,
   * ff_norm, router, gate_up, down, bias} (an absent norm or bias is passed as {@code attn_norm},
   * and the forward's flags say it is not read).
   */
  List<NDArray> scriptWeights() {
    List<NDArray> w = new ArrayList<>();
    w.add(attnNorm);
    w.add(qkv);
    w.add(attnOut);
    if (ffn instanceof SwiGlu s) {
      w.add(ffNorm);
      w.add(s.gateUp());
      w.add(s.down());
    } else if (ffn instanceof RoutedExperts r) {
      w.add(qNorm != null ? qNorm : attnNorm);
      w.add(kNorm != null ? kNorm : attnNorm);
      w.add(ffNorm);
      w.add(r.router());
      w.add(r.gateUp());
      w.add(r.down());
      w.add(r.bias() != null ? r.bias() : attnNorm);
    }
    return w;
  }
}

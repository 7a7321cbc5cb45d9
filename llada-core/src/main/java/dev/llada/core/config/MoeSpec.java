package dev.llada.core.config;

/**
 * The routed feed-forward of an LLaDA-MoE block (llada-spec §7.1): {@code experts} SwiGLU experts
 * of inner size {@code expertHiddenSize}, of which a softmax router picks {@code topK} per token.
 *
 * @param experts routed experts per layer ({@code num_experts}; 64 in LLaDA-MoE-7B-A1B)
 * @param topK experts per token ({@code num_experts_per_tok}; 8)
 * @param expertHiddenSize SwiGLU inner size of one expert ({@code expert_intermediate_size}; 1024)
 * @param normTopKProb whether the top-k weights are renormalised to sum to 1 ({@code
 *     norm_topk_prob}; false in LLaDA-MoE, hard-coded there)
 * @param expertBias whether a per-expert bias is added to the softmax scores before top-k ({@code
 *     moe_router_enable_expert_bias}; false)
 * @param auxLossCoef Switch load-balancing loss weight in training ({@code router_aux_loss_coef};
 *     0.01)
 * @param zLossCoef router z-loss weight in training ({@code router_z_loss_coef}; 0.001)
 */
public record MoeSpec(
    int experts,
    int topK,
    int expertHiddenSize,
    boolean normTopKProb,
    boolean expertBias,
    double auxLossCoef,
    double zLossCoef) {

  /** LLaDA-MoE's training coefficients (llada-spec §7.1, §7.2). */
  public static final double DEFAULT_AUX_LOSS_COEF = 0.01;

  public static final double DEFAULT_Z_LOSS_COEF = 0.001;

  public MoeSpec {
    if (experts < 1) {
      throw new ModelFormatException("num_experts must be positive, got " + experts);
    }
    if (topK < 1 || topK > experts) {
      throw new ModelFormatException(
          "num_experts_per_tok must be in [1, num_experts = " + experts + "], got " + topK);
    }
    if (expertHiddenSize < 1) {
      throw new ModelFormatException(
          "expert_intermediate_size must be positive, got " + expertHiddenSize);
    }
    if (!(auxLossCoef >= 0) || !(zLossCoef >= 0)) {
      throw new ModelFormatException(
          "router_aux_loss_coef and router_z_loss_coef must be >= 0, got "
              + auxLossCoef
              + " and "
              + zLossCoef);
    }
  }
}

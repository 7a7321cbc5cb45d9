package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * What the routers of one forward did, for training: each MoE layer's Switch load-balancing loss
 * and router z-loss (graph values, so their gradients flow) and how many tokens each expert took.
 *
 * <p>Load balancing as in Hugging Face's OLMoE / LLaDA-MoE {@code load_balancing_loss_func}: E ·
 * Σ_e f_e · P_e, with f_e the tokens sent to expert e per token (over the k choices) and P_e the
 * mean router probability of e; k for a perfectly balanced router. It is computed per layer and
 * averaged over layers (the reference pools the layers' tokens first; equal for equal token counts
 * up to the pooling of f and P). z-loss (ST-MoE): mean over tokens of logsumexp(router logits)².
 */
public final class RouterStats {

  private final List<NDArray> balance = new ArrayList<>();
  private final List<NDArray> z = new ArrayList<>();
  private final List<long[]> loads = new ArrayList<>();

  void record(ExpertDispatch.Routing routing, int[] counts, int tokens) {
    NDArray meanProb = routing.probs().mean(new int[] {0}); // P_e
    float[] f = new float[counts.length];
    for (int e = 0; e < counts.length; e++) {
      f[e] = (float) counts[e] / tokens;
    }
    NDArray fraction = meanProb.getManager().create(f);
    balance.add(meanProb.mul(fraction).sum().mul(GraphScalar.of(meanProb, counts.length)));
    NDArray lse = routing.logits().logSoftmax(-1).neg().add(routing.logits()); // = logsumexp
    z.add(lse.get(":, 0").square().mean());
    long[] load = new long[counts.length];
    for (int e = 0; e < counts.length; e++) {
      load[e] = counts[e];
    }
    loads.add(load);
  }

  /** MoE layers recorded. */
  public int layers() {
    return loads.size();
  }

  /** The mean over layers of the load-balancing loss (a scalar in the graph). */
  public NDArray balanceLoss() {
    return mean(balance);
  }

  /** The mean over layers of the router z-loss (a scalar in the graph). */
  public NDArray zLoss() {
    return mean(z);
  }

  /** Tokens each expert took, per layer: {@code [layer][expert]}. */
  public long[][] loads() {
    return loads.toArray(new long[0][]);
  }

  private static NDArray mean(List<NDArray> values) {
    NDArray sum = values.get(0);
    for (int i = 1; i < values.size(); i++) {
      sum = sum.add(values.get(i));
    }
    return sum.div(GraphScalar.of(sum, values.size()));
  }
}

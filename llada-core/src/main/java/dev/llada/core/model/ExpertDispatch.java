package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.llada.core.config.MoeSpec;

/**
 * LLaDA-MoE's routed feed-forward, op by op (gradients flow through it; llada-spec §7.1): a softmax
 * router in float32, the optional per-expert score bias, top-k, <b>no</b> renormalisation of the
 * top-k weights unless {@code norm_topk_prob}, and output = Σ_k w_k · Expert_k(x) with Expert =
 * down(SiLU(gate·x) ⊙ up·x).
 *
 * <p>{@link #grouped} is the fast path: the N·k (token, expert) assignments are sorted by expert (a
 * counting sort), the tokens gathered in that order, one product per expert over its rows, and the
 * outputs gathered back to (token, slot) order and weighted — work proportional to the active
 * parameters. {@link #everyExpert} runs every expert on every token and masks the result: the
 * obvious version, kept as the oracle the fast path is tested against.
 */
public final class ExpertDispatch {

  private ExpertDispatch() {}

  /**
   * The router's decision for N tokens.
   *
   * @param logits (N, E) router logits
   * @param probs (N, E) softmax of the logits
   * @param weights (N, k) the chosen experts' weights
   * @param experts (N, k) int64 ids of the chosen experts, best first
   */
  public record Routing(NDArray logits, NDArray probs, NDArray weights, NDArray experts) {}

  /** Routes N tokens {@code x} (N, d). */
  static Routing route(NDArray x, Block.RoutedExperts r) {
    MoeSpec spec = r.spec();
    NDArray logits = linear(x, r.router()).toType(DataType.FLOAT32, false);
    NDArray probs = logits.softmax(-1);
    NDArray scores = r.bias() != null ? probs.add(r.bias()) : probs; // bias after the softmax
    NDList top = scores.topK(spec.topK(), -1, true, true);
    NDArray weights = top.get(0);
    if (spec.normTopKProb()) {
      weights = weights.div(weights.sum(new int[] {-1}, true));
    }
    return new Routing(logits, probs, weights, top.get(1));
  }

  /** The routed experts' output for {@code x} (N, d), by expert-grouped products. */
  public static NDArray grouped(NDArray x, Block.RoutedExperts r, RouterStats stats) {
    Routing routing = route(x, r);
    int n = Math.toIntExact(x.getShape().get(0));
    int k = r.spec().topK();
    int experts = r.spec().experts();
    long[] chosen = routing.experts().toLongArray(); // slot s = token s / k, its (s % k)-th expert
    int[] counts = new int[experts];
    for (long e : chosen) {
      counts[(int) e]++;
    }
    int[] start = new int[experts + 1];
    for (int e = 0; e < experts; e++) {
      start[e + 1] = start[e] + counts[e];
    }
    long[] tokenOf = new long[chosen.length]; // sorted position → token
    long[] positionOf = new long[chosen.length]; // slot → sorted position
    int[] next = start.clone();
    for (int s = 0; s < chosen.length; s++) {
      int at = next[(int) chosen[s]]++;
      tokenOf[at] = s / k;
      positionOf[s] = at;
    }
    if (stats != null) {
      stats.record(routing, counts, n);
    }
    NDManager m = x.getManager();
    NDArray gathered = x.get(m.create(tokenOf)); // (N·k, d) grouped by expert
    NDList outputs = new NDList();
    for (int e = 0; e < experts; e++) {
      if (counts[e] == 0) {
        continue;
      }
      NDArray rows =
          gathered.get(new NDIndex("{}:{}", start[e], start[e + 1])); // expert e's tokens
      outputs.add(swiGlu(rows, r.gateUp().get(e), r.down().get(e)));
    }
    NDArray sorted = outputs.size() == 1 ? outputs.get(0) : NDArrays.concat(outputs, 0);
    NDArray bySlot = sorted.get(m.create(positionOf)).reshape(n, k, -1);
    return bySlot.mul(routing.weights().expandDims(2)).sum(new int[] {1});
  }

  /** The same output computed by every expert on every token (the oracle). */
  public static NDArray everyExpert(NDArray x, Block.RoutedExperts r) {
    Routing routing = route(x, r);
    int experts = r.spec().experts();
    NDList outputs = new NDList();
    for (int e = 0; e < experts; e++) {
      outputs.add(swiGlu(x, r.gateUp().get(e), r.down().get(e)));
    }
    NDArray all = NDArrays.stack(outputs, 1); // (N, E, d)
    // each token's weight for every expert: w_k where expert e is its k-th choice, else 0
    NDArray dense =
        routing
            .experts()
            .oneHot(experts, DataType.FLOAT32)
            .mul(routing.weights().expandDims(2))
            .sum(new int[] {1}); // (N, E)
    return dense.expandDims(1).matMul(all).squeeze(1);
  }

  /** down(SiLU(g) ⊙ u) with [g | u] = x · gateUpᵀ. */
  static NDArray swiGlu(NDArray x, NDArray gateUp, NDArray down) {
    NDArray gu = linear(x, gateUp);
    int last = gu.getShape().dimension() - 1;
    long hidden = gu.getShape().get(last) / 2;
    NDList parts = gu.split(new long[] {hidden}, last);
    NDArray g = parts.get(0);
    NDArray silu = g.mul(g.getNDArrayInternal().sigmoid());
    return linear(silu.mul(parts.get(1)), down);
  }

  static NDArray linear(NDArray x, NDArray weight) {
    return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
  }
}

package dev.llada.core.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.llada.core.model.LladaNames;
import dev.llada.core.model.MoeNames;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleConsumer;

/**
 * AdamW with decoupled weight decay, as PyTorch's: w ← w·(1 − lr·λ) then w ← w − lr·m̂/(√v̂ + ε).
 * Its moments are plain arrays owned by the caller's manager, so they can be checkpointed and
 * restored exactly. Call {@link #step} with autograd off (outside the gradient collector).
 */
public final class AdamW {

  static final double EPS = 1e-8;

  final Map<String, NDArray> m = new LinkedHashMap<>();
  final Map<String, NDArray> v = new LinkedHashMap<>();
  private final double beta1;
  private final double beta2;
  private final double weightDecay;
  private final Set<String> decayed;

  public AdamW(
      Map<String, NDArray> parameters,
      double beta1,
      double beta2,
      double weightDecay,
      Set<String> decayed) {
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.weightDecay = weightDecay;
    this.decayed = decayed;
    parameters.forEach(
        (name, p) -> {
          m.put(name, p.zerosLike());
          v.put(name, p.zerosLike());
        });
  }

  /**
   * The parameters LLaDA decays: the matrices, the LM head included; not the embedding or norms.
   */
  public static Set<String> decayedMatrices(Map<String, NDArray> parameters) {
    Set<String> decayed = new HashSet<>();
    parameters.forEach(
        (name, p) -> {
          if (p.getShape().dimension() >= 2
              && !name.equals(LladaNames.WTE)
              && !name.equals(MoeNames.EMBED)) {
            decayed.add(name);
          }
        });
    return decayed;
  }

  /**
   * One optimiser step on the gradients accumulated in {@code parameters}: their global norm goes
   * to {@code check} first (which throws to stop a diverged run), then the gradients are clipped to
   * that norm ({@code clip} 0: not clipped; by hand, djl.md §4), every parameter is updated and the
   * gradients are cleared (they accumulate across backward calls).
   *
   * @param t 1-based step number
   * @return the global norm before clipping
   */
  public double update(
      Map<String, NDArray> parameters, double lr, int t, double clip, DoubleConsumer check) {
    try (NDScope scope = new NDScope()) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      parameters.forEach(
          (name, p) -> {
            if (!frozen.contains(name)) {
              grads.put(name, p.getGradient());
            }
          });
      double sq = 0;
      for (NDArray g : grads.values()) {
        sq += g.square().sum().getFloat();
      }
      double norm = Math.sqrt(sq);
      check.accept(norm);
      if (clip > 0 && norm > clip) {
        double scale = clip / (norm + 1e-6);
        grads.values().forEach(g -> g.muli(scale));
      }
      step(parameters, grads, lr, t);
      grads.values().forEach(g -> g.muli(0));
      return norm;
    }
  }

  /** Names never updated: buffers such as an MoE router's score bias (no gradient, no step). */
  private final Set<String> frozen = new java.util.HashSet<>();

  /** Keeps {@code names} fixed (they must not require gradients); their moments stay zero. */
  public AdamW freeze(Set<String> names) {
    frozen.addAll(names);
    return this;
  }

  /**
   * Keeps exactly {@code names} fixed from now on (a staged run's frozen part); the others are
   * updated again, their moments where they were left.
   */
  public AdamW frozen(Set<String> names) {
    frozen.clear();
    frozen.addAll(names);
    return this;
  }

  /** Per-parameter multipliers of the learning rate (absent: 1). */
  private final Map<String, Double> lrScale = new java.util.HashMap<>();

  /**
   * Scales the learning rate of exactly {@code names} by {@code factor} from now on (a staged run's
   * language model, say, trained slower than its new parts); every other parameter's scale is 1.
   */
  public AdamW scaled(Set<String> names, double factor) {
    lrScale.clear();
    if (factor != 1.0) {
      names.forEach(n -> lrScale.put(n, factor));
    }
    return this;
  }

  /** The first moments by parameter name (checkpointed and restored by the caller). */
  public Map<String, NDArray> firstMoments() {
    return m;
  }

  /** The second moments by parameter name. */
  public Map<String, NDArray> secondMoments() {
    return v;
  }

  /**
   * One update of every parameter from its gradient.
   *
   * @param t 1-based step number, for the bias corrections
   */
  public void step(
      Map<String, NDArray> parameters, Map<String, NDArray> gradients, double lr, int t) {
    double c1 = 1 - Math.pow(beta1, t);
    double c2 = 1 - Math.pow(beta2, t);
    for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
      String name = e.getKey();
      if (frozen.contains(name)) {
        continue;
      }
      NDArray p = e.getValue();
      NDArray g = gradients.get(name);
      NDArray mt = m.get(name).muli(beta1).addi(g.mul(1 - beta1));
      NDArray vt = v.get(name).muli(beta2).addi(g.square().muli(1 - beta2));
      double rate = lr * lrScale.getOrDefault(name, 1.0);
      if (decayed.contains(name) && weightDecay > 0) {
        p.muli(1 - rate * weightDecay);
      }
      p.subi(mt.div(c1).divi(vt.div(c2).sqrt().addi(EPS)).muli(rate));
    }
  }
}

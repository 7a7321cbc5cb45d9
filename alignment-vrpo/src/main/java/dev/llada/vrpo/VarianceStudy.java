package dev.llada.vrpo;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.llada.core.model.GraphScalar;
import dev.llada.core.model.LladaNetwork;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The structure of LLaDA 1.5's Table 2 (llada-spec §6.5) on any policy/reference pair: for each
 * sampling configuration, the DPO-E score, loss and gradient are estimated {@code repeats} times
 * with fresh Monte Carlo samples on the same pairs, and their variances across repeats reported.
 *
 * <ul>
 *   <li>Var(score): V[ŝ] per pair, averaged over the pairs;
 *   <li>Var(loss): V[ℓ̂_DPO-E] per pair, averaged over the pairs (no SFT term: the study is about
 *       the preference estimator);
 *   <li>Var(grad): the gradient proxy is the up-projection of block 0's feed-forward (the paper's
 *       choice); for each batch, the gradient of the batch-mean loss is computed per repeat, and
 *       the trace of its covariance across repeats (Σ over the proxy's elements of the variance) is
 *       averaged over the batches.
 * </ul>
 *
 * With θ = ref and antithetic sampling the score is exactly 0, so the study is run with a policy
 * that has moved away from the reference (a VRPO checkpoint), as in training.
 */
public final class VarianceStudy {

  /** One configuration's variances. */
  public record Row(
      ElboBudget budget, double varScore, double varLoss, double varGrad, double meanScore) {}

  private final LladaNetwork policy;
  private final LladaNetwork reference;
  private final double beta;
  private final int maskId;
  private final int padId;

  public VarianceStudy(
      LladaNetwork policy, LladaNetwork reference, double beta, int maskId, int padId) {
    this.policy = policy;
    this.reference = reference;
    this.beta = beta;
    this.maskId = maskId;
    this.padId = padId;
  }

  /** The gradient proxy's name: block 0's fused gate/up projection (its up half is used). */
  public String proxyName() {
    return LladaNetwork.gateUpName(policy.config(), 0);
  }

  /** Measures one configuration on {@code pairs}, in batches of {@code batch}. */
  public Row measure(
      ElboBudget budget, List<PreferencePair> pairs, int repeats, int batch, long seed) {
    if (repeats < 2) {
      throw new IllegalArgumentException("repeats must be at least 2");
    }
    if (batch < 1 || pairs.isEmpty()) {
      throw new IllegalArgumentException("need pairs and a batch size of at least 1");
    }
    DpoObjective objective = new DpoObjective(beta, 0, budget, maskId, padId);
    TokenScorer policyScorer = new NetworkScorer(policy);
    TokenScorer referenceScorer = new NetworkScorer(reference);
    NDArray proxy = policy.parameters().get(proxyName());
    int hidden = policy.config().mlpHiddenSize();
    proxy.setRequiresGradient(true);
    double[][] scores = new double[pairs.size()][repeats];
    double[][] losses = new double[pairs.size()][repeats];
    double gradVariance = 0;
    int batches = 0;
    try {
      for (int from = 0; from < pairs.size(); from += batch) {
        int to = Math.min(pairs.size(), from + batch);
        float[][] grads = new float[repeats][];
        for (int r = 0; r < repeats; r++) {
          for (int i = from; i < to; i++) {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + r * 7919L + i);
            try (NDScope scope = new NDScope();
                NDManager m = policy.manager().newSubManager();
                GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
              DpoObjective.Terms t =
                  objective.terms(policyScorer, referenceScorer, pairs.get(i), random, m);
              gc.backward(t.loss().div(GraphScalar.of(t.loss(), to - from)));
              scores[i][r] = t.score();
              losses[i][r] = t.lossValue();
            }
          }
          try (NDScope scope = new NDScope()) {
            NDArray g = proxy.getGradient();
            grads[r] = g.get(hidden + ":").toFloatArray(); // the up half
            g.muli(0);
          }
        }
        gradVariance += traceOfCovariance(grads);
        batches++;
      }
    } finally {
      proxy.setRequiresGradient(false);
    }
    double varScore = 0;
    double varLoss = 0;
    double meanScore = 0;
    for (int i = 0; i < pairs.size(); i++) {
      varScore += variance(scores[i]) / pairs.size();
      varLoss += variance(losses[i]) / pairs.size();
      for (double s : scores[i]) {
        meanScore += s / (pairs.size() * (double) repeats);
      }
    }
    return new Row(budget, varScore, varLoss, gradVariance / batches, meanScore);
  }

  static double traceOfCovariance(float[][] samples) {
    int n = samples.length;
    double total = 0;
    for (int e = 0; e < samples[0].length; e++) {
      double mean = 0;
      for (float[] s : samples) {
        mean += s[e];
      }
      mean /= n;
      double ss = 0;
      for (float[] s : samples) {
        ss += (s[e] - mean) * (s[e] - mean);
      }
      total += ss / (n - 1);
    }
    return total;
  }

  static double variance(double[] x) {
    double mean = 0;
    for (double v : x) {
      mean += v / x.length;
    }
    double ss = 0;
    for (double v : x) {
      ss += (v - mean) * (v - mean);
    }
    return ss / (x.length - 1);
  }
}

package dev.llada.vrpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.llada.core.model.GraphScalar;
import java.util.SplittableRandom;

/**
 * DPO with ELBOs (llada-spec §6.1, Eq. 7): ℓ = −log σ(s), s = β[(B̂θ(yw) − B̂ref(yw)) − (B̂θ(yl) −
 * B̂ref(yl))], each B̂ the doubly Monte Carlo estimate of {@link ResponseMasks} with the budget's
 * n_t × n_{y_t} samples. With antithetic sampling the reference scores the very rows the policy
 * scores; otherwise it draws its own. The reference is scored without gradients.
 *
 * <p>The optional SFT term (App. D: weight 0.05 "for stability") is LLaDA's SFT loss on the
 * <em>chosen</em> response, −B̂θ(yw)/|yw| (Alg. 2 normalises by the response length), from the same
 * samples: it keeps the preferred answer's likelihood from sinking while the margin grows (DPO can
 * lower both responses' likelihoods); on the rejected one it would teach the wrong answer.
 *
 * @param beta DPO's β (0.2 in the paper)
 * @param sftWeight weight of the SFT term, 0 for none
 */
public record DpoObjective(
    double beta, double sftWeight, ElboBudget budget, int maskId, int padId) {

  public DpoObjective {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta must be a positive number");
    }
    if (!(sftWeight >= 0) || !Double.isFinite(sftWeight)) {
      throw new IllegalArgumentException("sft_weight must be 0 or more");
    }
  }

  /**
   * One pair's terms.
   *
   * @param loss the pair's loss, with the policy's graph (ℓ_DPO-E + sftWeight·SFT)
   * @param score s, the ELBO-based preference score
   * @param policyChosen B̂θ(yw)
   * @param policyRejected B̂θ(yl)
   * @param referenceChosen B̂ref(yw)
   * @param referenceRejected B̂ref(yl)
   * @param scoreVariance the plug-in estimate of V[ŝ] from this pair's own samples (Eq. 9 with
   *     Lemma 5: the spread of the n_t per-timestep means, over n_t), NaN when n_t = 1
   */
  public record Terms(
      NDArray loss,
      double lossValue,
      double score,
      double policyChosen,
      double policyRejected,
      double referenceChosen,
      double referenceRejected,
      double scoreVariance) {

    /** Whether the policy prefers the chosen response more than the reference does. */
    public boolean correct() {
      return score > 0;
    }
  }

  /** The masks a pair's two responses get, drawn from {@code random}. */
  public ResponseMasks[] draw(PreferencePair pair, SplittableRandom random) {
    return new ResponseMasks[] {
      ResponseMasks.draw(pair.chosen().length, budget, random),
      ResponseMasks.draw(pair.rejected().length, budget, random)
    };
  }

  /** The pair's loss and its parts; the policy's arrays are made in {@code m}. */
  public Terms terms(
      TokenScorer policy,
      TokenScorer reference,
      PreferencePair pair,
      SplittableRandom random,
      NDManager m) {
    Rows rows = rows(pair, random);
    return terms(policy, rows, referenceElbos(reference, rows, m), pair, m);
  }

  /**
   * The reference's ELBO samples of a pair (one per row), drawing from {@code random} exactly as
   * {@link #terms} does: computed beforehand, they let training run without the reference model.
   */
  public float[] referenceElbos(
      TokenScorer reference, PreferencePair pair, SplittableRandom random, NDManager m) {
    return referenceElbos(reference, rows(pair, random), m);
  }

  /**
   * {@link #terms} with the reference's samples precomputed by {@link #referenceElbos} from a
   * {@code random} seeded alike: the same masks are drawn, so the result is the same.
   */
  public Terms terms(
      TokenScorer policy,
      float[] referenceElbos,
      PreferencePair pair,
      SplittableRandom random,
      NDManager m) {
    Rows rows = rows(pair, random);
    if (referenceElbos.length != rows.reference().rows) {
      throw new IllegalArgumentException(
          "precomputed reference ELBOs for "
              + referenceElbos.length
              + " rows, but the pair has "
              + rows.reference().rows);
    }
    return terms(policy, rows, referenceElbos, pair, m);
  }

  /** The policy's rows and the reference's (the same ones under antithetic sampling). */
  private record Rows(ElboRows policy, ElboRows reference) {}

  private Rows rows(PreferencePair pair, SplittableRandom random) {
    int[][] responses = {pair.chosen(), pair.rejected()};
    ElboRows rows = new ElboRows(pair.prompt(), responses, draw(pair, random), maskId, padId);
    ElboRows referenceRows =
        budget.antithetic()
            ? rows
            : new ElboRows(pair.prompt(), responses, draw(pair, random), maskId, padId);
    return new Rows(rows, referenceRows);
  }

  private static float[] referenceElbos(TokenScorer reference, Rows rows, NDManager m) {
    try (NDManager r = m.newSubManager()) {
      return rows.reference().elbos(reference, r).toFloatArray();
    }
  }

  private Terms terms(
      TokenScorer policy, Rows pairRows, float[] referenceElbos, PreferencePair pair, NDManager m) {
    ElboRows rows = pairRows.policy();
    ElboRows referenceRows = pairRows.reference();
    double refChosen = mean(referenceRows, referenceElbos, 0);
    double refRejected = mean(referenceRows, referenceElbos, 1);
    NDArray elbos = rows.elbos(policy, m);
    float[] policyElbos = elbos.toFloatArray();
    NDArray chosen = rows.mean(elbos, 0);
    NDArray rejected = rows.mean(elbos, 1);
    // scalars that the backward reads are graph scalars (GraphScalar: DJL's number overloads
    // free them before the backward runs)
    NDArray s =
        chosen
            .sub((float) refChosen)
            .sub(rejected.sub((float) refRejected))
            .mul(GraphScalar.of(chosen, beta));
    NDArray loss = softplus(s.neg()); // −log σ(s)
    if (sftWeight > 0) {
      double scale = sftWeight / pair.chosen().length;
      loss = loss.add(chosen.neg().mul(GraphScalar.of(chosen, scale)));
    }
    return new Terms(
        loss,
        loss.getFloat(),
        s.getFloat(),
        chosen.getFloat(),
        rejected.getFloat(),
        refChosen,
        refRejected,
        scoreVariance(rows, policyElbos, referenceRows, referenceElbos));
  }

  /** B̂ of response {@code y}: the mean of its rows' samples. */
  private static double mean(ElboRows rows, float[] elbos, int y) {
    double sum = 0;
    for (int i = rows.firstRow[y]; i < rows.firstRow[y + 1]; i++) {
      sum += elbos[i];
    }
    return sum / (rows.firstRow[y + 1] - rows.firstRow[y]);
  }

  /**
   * β² Σ_y V̂[B̂θ(y) − B̂ref(y)]. The n_t timesteps are independent, so the variance of a mean over
   * them is the sample variance of the per-timestep means over n_t; with antithetic sampling the
   * difference is taken per shared sample (its correlation is what lowers the variance), otherwise
   * the two estimates are independent and their variances add.
   */
  private double scoreVariance(ElboRows rows, float[] policy, ElboRows ref, float[] reference) {
    int nT = budget.nT();
    if (nT < 2) {
      return Double.NaN;
    }
    double total = 0;
    for (int y = 0; y < 2; y++) {
      double[] p = timestepMeans(rows, policy, y);
      double[] r = timestepMeans(ref, reference, y);
      if (budget.antithetic()) {
        double[] d = new double[nT];
        for (int j = 0; j < nT; j++) {
          d[j] = p[j] - r[j];
        }
        total += VarianceStudy.variance(d) / nT;
      } else {
        total += VarianceStudy.variance(p) / nT + VarianceStudy.variance(r) / nT;
      }
    }
    return beta * beta * total;
  }

  private double[] timestepMeans(ElboRows rows, float[] elbos, int y) {
    int nT = budget.nT();
    int nYt = budget.nYt();
    double[] means = new double[nT];
    for (int j = 0; j < nT; j++) {
      for (int k = 0; k < nYt; k++) {
        means[j] += elbos[rows.firstRow[y] + j * nYt + k] / nYt;
      }
    }
    return means;
  }

  /** log(1 + eˣ) without overflow: max(x, 0) + log(1 + e^−|x|). */
  static NDArray softplus(NDArray x) {
    return x.maximum(GraphScalar.of(x, 0)).add(x.abs().neg().exp().add(1f).log());
  }
}

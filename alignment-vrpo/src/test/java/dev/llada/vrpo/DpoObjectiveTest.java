package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.llada.core.model.LladaNetwork;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** VRPO's estimator and loss against slow, obvious computations (llada-spec §6). */
class DpoObjectiveTest {

  private static LladaNetwork instruct;
  private static LladaNetwork base;
  private static int maskId;
  private static int eos;

  /** A prompt and two responses of different lengths, in the tiny vocabulary. */
  private static final PreferencePair PAIR =
      new PreferencePair(
          1,
          new int[] {256, 10, 20, 30, 40, 50},
          new int[] {60, 61, 62, 63, 64, 257},
          new int[] {70, 71, 257});

  @BeforeAll
  static void load() {
    instruct = ZooModels.load(ZooModels.INSTRUCT);
    base = ZooModels.load(ZooModels.BASE);
    maskId = instruct.config().maskTokenId();
    eos = instruct.config().eosTokenId();
  }

  @AfterAll
  static void close() {
    instruct.close();
    base.close();
  }

  /** Records every batch a scorer is asked about. */
  private static final class Recording implements TokenScorer {
    final TokenScorer inner;
    final List<long[]> seen = new ArrayList<>();

    Recording(TokenScorer inner) {
      this.inner = inner;
    }

    @Override
    public NDArray logProbabilities(NDArray noisy, NDArray targets, NDArray bias, int from) {
      seen.add(noisy.toLongArray());
      return inner.logProbabilities(noisy, targets, bias, from);
    }
  }

  @Test
  void antitheticSamplingGivesTheReferenceThePolicysVeryRows() {
    for (boolean antithetic : new boolean[] {true, false}) {
      Recording policy = new Recording(new NetworkScorer(instruct));
      Recording reference = new Recording(new NetworkScorer(base));
      DpoObjective objective =
          new DpoObjective(0.2, 0, new ElboBudget(8, 1, antithetic), maskId, eos);
      try (NDManager m = instruct.manager().newSubManager()) {
        objective.terms(policy, reference, PAIR, new SplittableRandom(7), m);
      }
      assertEquals(1, policy.seen.size());
      assertEquals(1, reference.seen.size());
      if (antithetic) {
        assertArrayEquals(policy.seen.get(0), reference.seen.get(0), "the same masked sequences");
      } else {
        assertFalse(Arrays.equals(policy.seen.get(0), reference.seen.get(0)));
      }
    }
  }

  @Test
  void masksHideExactlyTheirCountAndShareItWithinATimestep() {
    SplittableRandom r = new SplittableRandom(3);
    int[] histogram = new int[11];
    for (int trial = 0; trial < 2000; trial++) {
      ResponseMasks masks = ResponseMasks.draw(10, new ElboBudget(2, 3, true), r);
      assertEquals(6, masks.samples());
      for (int s = 0; s < 6; s++) {
        int l = masks.counts()[s];
        assertTrue(l >= 1 && l <= 10);
        int hidden = 0;
        for (boolean b : masks.masked()[s]) {
          hidden += b ? 1 : 0;
        }
        assertEquals(l, hidden);
        assertEquals(masks.counts()[s / 3 * 3], l, "one l per timestep");
        assertEquals(10.0 / l, masks.weight(s));
      }
      histogram[masks.counts()[0]]++;
    }
    for (int l = 1; l <= 10; l++) {
      assertTrue(
          histogram[l] > 130 && histogram[l] < 280, "l ~ U{1..10}: " + l + " " + histogram[l]);
    }
  }

  @Test
  void theEstimatorIsUnbiasedWhereTheElboHasAClosedForm() {
    // a scorer whose log p of position i does not depend on the masks: log p(y | x) = Σ c_i, and
    // E[(L/l) Σ_masked c_i] = Σ c_i for exactly-l masking (Eq. 14–15)
    double[] c = {-0.5, -2.0, -0.1, -3.0, -1.2, -0.7};
    TokenScorer constant =
        (noisy, targets, bias, from) -> {
          int rows = Math.toIntExact(targets.getShape().get(0));
          int width = Math.toIntExact(targets.getShape().get(1));
          float[] out = new float[rows * width];
          for (int row = 0; row < rows; row++) {
            for (int i = 0; i < width; i++) {
              out[row * width + i] = i < c.length ? (float) c[i] : 0f;
            }
          }
          return noisy.getManager().create(out, new Shape(rows, width));
        };
    double exact = Arrays.stream(c).sum();
    int[] response = {60, 61, 62, 63, 64, 257};
    SplittableRandom r = new SplittableRandom(11);
    int trials = 20_000;
    double sum = 0;
    double sumSq = 0;
    try (NDManager m = instruct.manager().newSubManager()) {
      for (int t = 0; t < trials; t++) {
        ResponseMasks masks = ResponseMasks.draw(response.length, ElboBudget.NAIVE, r);
        ElboRows rows =
            new ElboRows(
                PAIR.prompt(), new int[][] {response}, new ResponseMasks[] {masks}, maskId, eos);
        double v;
        try (NDManager step = m.newSubManager()) {
          v = rows.mean(rows.elbos(constant, step), 0).getFloat();
        }
        sum += v;
        sumSq += v * v;
      }
    }
    double mean = sum / trials;
    double se = Math.sqrt((sumSq / trials - mean * mean) / trials);
    assertTrue(Math.abs(mean - exact) < 4 * se, mean + " vs " + exact + " (se " + se + ")");
    assertTrue(se > 0, "the single-sample estimate does vary");
  }

  @Test
  void theLossEqualsADirectFloat64ComputationOnUnpaddedRows() {
    for (ElboBudget budget :
        List.of(ElboBudget.VRPO, ElboBudget.NAIVE, new ElboBudget(2, 2, true))) {
      DpoObjective objective = new DpoObjective(0.2, 0.05, budget, maskId, eos);
      DpoObjective.Terms terms;
      try (NDManager m = instruct.manager().newSubManager()) {
        terms =
            objective.terms(
                new NetworkScorer(instruct),
                new NetworkScorer(base),
                PAIR,
                new SplittableRandom(5),
                m);
      }
      // the same draws, replayed: policy masks first, then (without antithetic) the reference's
      SplittableRandom r = new SplittableRandom(5);
      ResponseMasks[] policyMasks = objective.draw(PAIR, r);
      ResponseMasks[] referenceMasks = budget.antithetic() ? policyMasks : objective.draw(PAIR, r);
      double pw = elbo(instruct, PAIR.chosen(), policyMasks[0]);
      double pl = elbo(instruct, PAIR.rejected(), policyMasks[1]);
      double rw = elbo(base, PAIR.chosen(), referenceMasks[0]);
      double rl = elbo(base, PAIR.rejected(), referenceMasks[1]);
      double s = 0.2 * ((pw - rw) - (pl - rl));
      double loss = Math.log1p(Math.exp(-s)) + 0.05 * (-pw / PAIR.chosen().length);
      assertEquals(pw, terms.policyChosen(), 1e-4 * Math.abs(pw), budget.toString());
      assertEquals(pl, terms.policyRejected(), 1e-4 * Math.abs(pl), budget.toString());
      assertEquals(rw, terms.referenceChosen(), 1e-4 * Math.abs(rw), budget.toString());
      assertEquals(rl, terms.referenceRejected(), 1e-4 * Math.abs(rl), budget.toString());
      assertEquals(s, terms.score(), 1e-4, budget.toString());
      assertEquals(loss, terms.lossValue(), 1e-4, budget.toString());
    }
  }

  /** B̂ of one response, one unpadded row per sample, log-softmax in float64. */
  private static double elbo(LladaNetwork network, int[] response, ResponseMasks masks) {
    int p = PAIR.prompt().length;
    double total = 0;
    for (int s = 0; s < masks.samples(); s++) {
      long[] row = new long[p + response.length];
      for (int i = 0; i < p; i++) {
        row[i] = PAIR.prompt()[i];
      }
      for (int i = 0; i < response.length; i++) {
        row[p + i] = masks.masked()[s][i] ? maskId : response[i];
      }
      float[] logits;
      int vocab;
      try (NDManager m = network.manager().newSubManager()) {
        NDArray out = network.forward(m.create(row, new Shape(1, row.length)), null, 0, row.length);
        vocab = Math.toIntExact(out.getShape().get(2));
        logits = out.toFloatArray();
      }
      double l = 0;
      for (int i = 0; i < response.length; i++) {
        if (!masks.masked()[s][i]) {
          continue;
        }
        int base = (p + i) * vocab;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
          max = Math.max(max, logits[base + v]);
        }
        double z = 0;
        for (int v = 0; v < vocab; v++) {
          z += Math.exp(logits[base + v] - max);
        }
        l += logits[base + response[i]] - max - Math.log(z);
      }
      total += (double) response.length / masks.counts()[s] * l;
    }
    return total / masks.samples();
  }

  @Test
  void theReferenceModelReceivesNoGradient() {
    LladaNetwork policy = ZooModels.load(ZooModels.INSTRUCT);
    try (policy) {
      policy.parameters().values().forEach(p -> p.setRequiresGradient(true));
      DpoObjective objective = new DpoObjective(0.2, 0.05, ElboBudget.VRPO, maskId, eos);
      try (NDManager m = policy.manager().newSubManager();
          GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        DpoObjective.Terms terms =
            objective.terms(
                new NetworkScorer(policy),
                new NetworkScorer(base),
                PAIR,
                new SplittableRandom(1),
                m);
        gc.backward(terms.loss());
      }
      double policyGradient = 0;
      for (NDArray p : policy.parameters().values()) {
        policyGradient += p.getGradient().abs().sum().getFloat();
      }
      assertTrue(policyGradient > 0, "the policy learns");
      for (NDArray p : base.parameters().values()) {
        assertFalse(p.hasGradient(), "the reference is frozen");
      }
    }
  }

  @Test
  void precomputedReferenceElbosGiveTheSameTermsAsTheLiveReference() {
    for (boolean antithetic : new boolean[] {true, false}) {
      DpoObjective objective =
          new DpoObjective(0.2, 0.05, new ElboBudget(4, 2, antithetic), maskId, eos);
      try (NDManager m = instruct.manager().newSubManager()) {
        DpoObjective.Terms live =
            objective.terms(
                new NetworkScorer(instruct),
                new NetworkScorer(base),
                PAIR,
                new SplittableRandom(3),
                m);
        float[] table =
            objective.referenceElbos(new NetworkScorer(base), PAIR, new SplittableRandom(3), m);
        assertEquals(16, table.length, "2 responses × 8 samples");
        DpoObjective.Terms pre =
            objective.terms(new NetworkScorer(instruct), table, PAIR, new SplittableRandom(3), m);
        assertEquals(live.lossValue(), pre.lossValue());
        assertEquals(live.score(), pre.score());
        assertEquals(live.referenceChosen(), pre.referenceChosen());
        assertEquals(live.referenceRejected(), pre.referenceRejected());
        assertEquals(live.scoreVariance(), pre.scoreVariance());
        assertThrows(
            IllegalArgumentException.class,
            () ->
                objective.terms(
                    new NetworkScorer(instruct), new float[3], PAIR, new SplittableRandom(3), m));
      }
    }
  }

  @Test
  void softplusIsStableFarOut() {
    try (NDManager m = instruct.manager().newSubManager()) {
      float[] x = DpoObjective.softplus(m.create(new float[] {-200f, 0f, 200f})).toFloatArray();
      assertEquals(0.0, x[0], 1e-30);
      assertEquals(Math.log(2), x[1], 1e-6);
      assertEquals(200.0, x[2], 1e-4);
    }
  }

  @Test
  void badSettingsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new ElboBudget(0, 1, true));
    assertThrows(IllegalArgumentException.class, () -> new ElboBudget(65, 1, true));
    assertThrows(
        IllegalArgumentException.class, () -> new DpoObjective(0, 0, ElboBudget.VRPO, 1, 2));
    assertThrows(
        IllegalArgumentException.class, () -> new DpoObjective(0.1, -1, ElboBudget.VRPO, 1, 2));
    assertNotEquals(ElboBudget.VRPO, ElboBudget.NAIVE);
  }
}

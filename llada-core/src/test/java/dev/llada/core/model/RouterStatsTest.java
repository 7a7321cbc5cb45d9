package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.MoeSpec;
import org.junit.jupiter.api.Test;

/**
 * The router losses on a routing worked out by hand: with an identity router the router logits are
 * the tokens themselves, so f_e, P_e and logsumexp can be computed here in double.
 */
class RouterStatsTest {

  @Test
  void loadBalancingAndZLossHaveTheirExactValues() {
    float[][] logits = {{2, 0, 0}, {0, 1, 0}, {0, 0, 3}, {1, 1, 0}};
    int n = logits.length;
    int e = 3;
    for (int k = 1; k <= 2; k++) {
      try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
        float[] flat = new float[n * e];
        for (int i = 0; i < n; i++) {
          System.arraycopy(logits[i], 0, flat, i * e, e);
        }
        NDArray x = m.create(flat, new Shape(n, e));
        NDArray identity = m.eye(e);
        Block.RoutedExperts r =
            new Block.RoutedExperts(
                identity,
                m.ones(new Shape(e, 2, e)),
                m.ones(new Shape(e, e, 1)),
                null,
                new MoeSpec(e, k, 1, false, false, 0.01, 0.001));
        RouterStats stats = new RouterStats();
        ExpertDispatch.grouped(x, r, stats);
        // by hand: softmax rows, top-k choices, f_e = choices of e / N, P_e = mean softmax
        double[] meanP = new double[e];
        long[] chosen = new long[e];
        double z = 0;
        for (float[] row : logits) {
          double sum = 0;
          for (float v : row) {
            sum += Math.exp(v);
          }
          double lse = Math.log(sum);
          z += lse * lse / n;
          double[] p = new double[e];
          for (int j = 0; j < e; j++) {
            p[j] = Math.exp(row[j]) / sum;
            meanP[j] += p[j] / n;
          }
          boolean[] taken = new boolean[e];
          for (int c = 0; c < k; c++) {
            int best = -1;
            for (int j = 0; j < e; j++) {
              if (!taken[j] && (best < 0 || p[j] > p[best])) {
                best = j;
              }
            }
            taken[best] = true;
            chosen[best]++;
          }
        }
        double balance = 0;
        for (int j = 0; j < e; j++) {
          balance += (double) chosen[j] / n * meanP[j];
        }
        balance *= e;
        assertEquals(balance, stats.balanceLoss().getFloat(), 1e-5, "k = " + k);
        assertEquals(z, stats.zLoss().getFloat(), 1e-5, "k = " + k);
        assertArrayEquals(chosen, stats.loads()[0], "k = " + k);
      }
    }
  }

  @Test
  void aPerfectlyBalancedRouterHasLossK() {
    int e = 4;
    for (int k = 1; k <= 3; k++) {
      try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
        // zero logits: P_e = 1/E; 8 tokens whose ties break evenly cannot be forced, so use the
        // formula's balanced case directly: f_e = k/E for every e
        RouterStats stats = new RouterStats();
        NDArray zeros = m.zeros(new Shape(8, e));
        int[] counts = new int[e];
        java.util.Arrays.fill(counts, 8 * k / e);
        stats.record(new ExpertDispatch.Routing(zeros, zeros.softmax(-1), null, null), counts, 8);
        assertEquals(k, stats.balanceLoss().getFloat(), 1e-5);
        assertEquals(Math.log(e) * Math.log(e), stats.zLoss().getFloat(), 1e-5);
      }
    }
  }
}

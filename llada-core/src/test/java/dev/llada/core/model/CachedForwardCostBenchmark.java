package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * acceleration.md §9.2 M8, the forward cost curve: ms per forward against the query positions q it
 * computes and the cached context c it attends to, on a model of the tiny zoo's shape (d 128, 4
 * layers, vocabulary 262, context 1,280), batch 1, logits of the query only; the full forward of
 * the same canvas (q = c) next to it, same run. Medians of 30 calls after 5. Tells which cache
 * savings can pay on this CPU (a fixed per-call cost caps them). Not run by {@code mvn verify}:
 *
 * <pre>
 * mvn -pl llada-core test -Dtest=CachedForwardCostBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class CachedForwardCostBenchmark {

  @Test
  void msPerForwardByQueryAndContext() throws Exception {
    Path dir = Files.createTempDirectory("cost-bench");
    LladaConfig c =
        new LladaConfig(128, 4, 4, 4, 384, 262, 262, 10000.0, 1e-5, 1280, 261, 260, 260);
    TinyModels.write(dir, c, 5, DType.F32, 0);
    SplittableRandom r = new SplittableRandom(2);
    int[] qs = {1, 8, 16, 32, 64, 128, 256};
    int[] contexts = {64, 256, 1024};
    StringBuilder header = new StringBuilder("| context c | full forward of c |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (int q : qs) {
      header.append(" q = ").append(q).append(" |");
      rule.append("---|");
    }
    System.out.println(header);
    System.out.println(rule);
    try (DjlMaskPredictor p = DjlMaskPredictor.load(dir, "cpu");
        KvCache cache = p.newCache()) {
      for (int ctx : contexts) {
        int[][] tokens = new int[1][ctx];
        for (int i = 0; i < ctx; i++) {
          tokens[0][i] = r.nextInt(256);
        }
        StringBuilder row = new StringBuilder("| " + ctx + " | ");
        row.append(String.format("%.2f |", median(() -> p.logits(tokens, null, 0, ctx).close())));
        p.logits(tokens, null, 0, ctx, new CacheStep.Refresh(cache)).close();
        for (int q : qs) {
          if (q > ctx) {
            row.append(" – |");
            continue;
          }
          int from = ctx - q;
          CacheStep reuse = new CacheStep.Reuse(cache, from, ctx);
          row.append(
              String.format(
                  " %.2f |", median(() -> p.logits(tokens, null, from, ctx, reuse).close())));
        }
        System.out.println(row);
      }
    }
  }

  private static double median(Runnable call) {
    for (int i = 0; i < 5; i++) {
      call.run();
    }
    double[] ms = new double[30];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      call.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ms);
    return ms[ms.length / 2];
  }
}

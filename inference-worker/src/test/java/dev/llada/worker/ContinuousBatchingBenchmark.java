package dev.llada.worker;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.weights.ModelDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The in-process worker's throughput and latency with continuous batching (maxBatch 8) against one
 * generation at a time (maxBatch 1), same jobs, same run: 48 chat requests of 32 steps on the
 * shipped tiny Instruct model, all submitted at once. Not run by {@code mvn verify}:
 *
 * <pre>
 * mvn -pl inference-worker test -Dtest=ContinuousBatchingBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class ContinuousBatchingBenchmark {

  private static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");

  /** A budget that holds the tiny models many times over. */
  static final long MEMORY = 1L << 30;

  @Test
  void batchedAgainstOneAtATime() throws Exception {
    ModelRef model =
        new ModelRef("llada-tiny-instruct", INSTRUCT, ModelDirectory.describe(INSTRUCT).digest());
    System.out.println(
        "| sampler | max batch | requests | wall s | requests/s | p50 ms | p99 ms |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (boolean fast : new boolean[] {false, true}) {
      for (int round = 0; round < 2; round++) { // the second round is the measurement
        for (int maxBatch : new int[] {1, 8}) {
          try (LocalWorkerPool pool = new LocalWorkerPool(Thread::new, "cpu", MEMORY, maxBatch)) {
            List<GenerationJob> jobs = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
              int[] prompt =
                  pool.encode(
                      model,
                      ChatTemplate.render(
                          List.of(
                              new ChatTemplate.Message(
                                  "user", "sort " + (10000 + 7919 * i) % 99999 + ":"))));
              SamplingConfig config =
                  new SamplingConfig(32, 32, 32, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
              Acceleration a =
                  fast
                      ? new Acceleration(
                          ParallelDecoding.threshold(0.9), Acceleration.Cache.DUAL, true, true)
                      : null;
              jobs.add(new GenerationJob(model, prompt, config, i, null, null, a));
            }
            pool.generate(jobs.get(0)).get(60, TimeUnit.SECONDS); // loads the model
            long t0 = System.nanoTime();
            List<CompletableFuture<GenerationResult>> futures = new ArrayList<>();
            long[] submitted = new long[jobs.size()];
            long[] latency = new long[jobs.size()];
            for (int i = 0; i < jobs.size(); i++) {
              submitted[i] = System.nanoTime();
              int k = i;
              futures.add(
                  pool.generate(jobs.get(i))
                      .whenComplete((r, e) -> latency[k] = System.nanoTime() - submitted[k]));
            }
            for (var f : futures) {
              f.get(300, TimeUnit.SECONDS);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            long[] sorted = latency.clone();
            Arrays.sort(sorted);
            if (round == 1) {
              System.out.printf(
                  "| %s | %d | %d | %.2f | %.1f | %.0f | %.0f |%n",
                  fast ? "fast (τ 0.9 + dual + inc + stop)" : "reference",
                  maxBatch,
                  jobs.size(),
                  wall,
                  jobs.size() / wall,
                  sorted[sorted.length / 2] / 1e6,
                  sorted[(int) Math.ceil(0.99 * sorted.length) - 1] / 1e6);
            }
          }
        }
      }
    }
  }
}

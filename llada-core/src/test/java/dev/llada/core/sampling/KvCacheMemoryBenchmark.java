package dev.llada.core.sampling;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Native memory over 1,000+ cached steps (issue #15): the dual cache with incremental refreshes,
 * alone and through the step-level batcher, on a random model with a 512-position canvas; the
 * process's resident set (VmRSS) and the network's native arrays after each generation. A
 * benchmark, not a test: it asserts nothing, its table goes to docs/BENCHMARKS.md. Run:
 *
 * <pre>
 * mvn -pl llada-core test -Dtest=KvCacheMemoryBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class KvCacheMemoryBenchmark {

  @Test
  void noNativeGrowthOverAThousandCachedSteps() throws Exception {
    Path dir = Files.createTempDirectory("kv-bench");
    LladaConfig c =
        new LladaConfig(128, 4, 4, 4, 384, 262, 262, 10000.0, 1e-5, 1280, 261, 260, 260);
    TinyModels.write(dir, c, 7, DType.F32, 0);
    SpecialTokens special = SpecialTokens.of(c);
    SamplingConfig config =
        new SamplingConfig(256, 256, 32, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
    String which = System.getenv().getOrDefault("KV_BENCH", "inc");
    Acceleration dual =
        switch (which) {
          case "none" -> new Acceleration(null, Acceleration.Cache.NONE, false, false);
          case "dual" -> new Acceleration(null, Acceleration.Cache.DUAL, false, false);
          default -> new Acceleration(null, Acceleration.Cache.DUAL, false, true);
        };
    System.out.println(
        "method: "
            + dual.label()
            + ", MKL packing "
            + System.getProperty("llada.mkl_pack", "default"));
    int[] prompt = new int[200];
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = r.nextInt(256);
    }
    boolean pack = !"false".equals(System.getenv("KV_PACK"));
    try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu", pack)) {
      FastSampler sampler = new FastSampler(djl, special, dual);
      sampler.generate(new int[][] {prompt}, null, config, new SplittableRandom(0), e -> {});
      System.out.println(
          "| path | generations | cached steps | VmRSS MiB | Java heap committed MiB | RSS − heap"
              + " MiB | native arrays |");
      System.out.println("|---|---|---|---|---|---|---|");
      row("alone", 0, 0, djl);
      long steps = 0;
      for (int g = 1; g <= 12; g++) {
        Generation out =
            sampler.generate(new int[][] {prompt}, null, config, new SplittableRandom(g), e -> {});
        steps += out.nfe();
        row("alone", g, steps, djl);
      }
      StepBatcher batcher = new StepBatcher(djl, special);
      steps = 0;
      for (int g = 1; g <= 5; g++) {
        List<Denoising> batch = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          batch.add(batcher.request(prompt, config, dual, new SplittableRandom(10 * g + k), null));
        }
        batcher.run(batch);
        steps += batch.stream().mapToInt(Denoising::nfe).sum();
        row("batch of 4 (live caches " + batcher.liveCaches() + ")", g, steps, djl);
      }
    }
  }

  private static void row(String path, int generations, long steps, DjlMaskPredictor djl)
      throws Exception {
    System.gc(); // the heap's garbage is not the native memory asked about
    Thread.sleep(200);
    long rssKb = 0;
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        rssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    double heap = Runtime.getRuntime().totalMemory() / 1048576.0;
    System.out.printf(
        "| %s | %d | %d | %.1f | %.1f | %.1f | %d |%n",
        path,
        generations,
        steps,
        rssKb / 1024.0,
        heap,
        rssKb / 1024.0 - heap,
        djl.residentArrays());
  }
}

package dev.llada.core.cli;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import dev.llada.core.model.MoeBenchmark;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bench-moe",
    description =
        "Forward time per token of an LLaDA-MoE (random weights) against dense models of equal"
            + " active and equal total parameters and against computing every expert, at the"
            + " tiny zoo shape and at a benchmark shape, in one run (docs/BENCHMARKS.md).")
final class MoeBenchCommand implements Callable<Integer> {

  @Option(names = "--d-model", defaultValue = "512", description = "benchmark shape: d_model")
  int dModel;

  @Option(names = "--heads", defaultValue = "8", description = "benchmark shape: heads")
  int heads;

  @Option(names = "--layers", defaultValue = "4", description = "both shapes: layers")
  int layers;

  @Option(names = "--experts", defaultValue = "8", description = "benchmark shape: experts")
  int experts;

  @Option(names = "--top-k", defaultValue = "2", description = "benchmark shape: experts/token")
  int topK;

  @Option(names = "--expert-ffn", defaultValue = "512", description = "benchmark: expert FFN")
  int expertFfn;

  @Option(names = "--vocab", defaultValue = "262", description = "vocabulary (the zoo's)")
  int vocab;

  @Option(names = "--batch", defaultValue = "1", description = "canvases per forward")
  int batch;

  @Option(names = "--length", defaultValue = "256", description = "canvas length")
  int length;

  @Option(names = "--warmup", defaultValue = "3", description = "untimed forwards first")
  int warmup;

  @Option(names = "--repeats", defaultValue = "15", description = "timed forwards (median)")
  int repeats;

  @Override
  public Integer call() {
    if (batch < 1 || length < 1 || repeats < 1 || warmup < 0) {
      throw new IllegalArgumentException(
          "--batch, --length and --repeats must be positive, --warmup >= 0");
    }
    LladaConfig tiny = config(128, 4, layers, 8, 2, 192);
    LladaConfig bench = config(dModel, heads, layers, experts, topK, expertFfn);
    int tokens = batch * length;
    System.out.printf(
        "bench-moe: B=%d, L=%d (%d tokens per forward), %d layers, vocab %d, median of %d after %d"
            + " warm-up, threads %s%n%n",
        batch,
        length,
        tokens,
        layers,
        vocab,
        repeats,
        warmup,
        System.getProperty("ai.djl.pytorch.num_threads", "default"));
    for (LladaConfig c : List.of(tiny, bench)) {
      MoeSpec m = c.moe();
      System.out.printf(
          "### d_model %d, %d experts top-%d, expert FFN %d%n%n",
          c.dModel(), m.experts(), m.topK(), m.expertHiddenSize());
      List<MoeBenchmark.Row> rows = MoeBenchmark.run(c, batch, length, warmup, repeats);
      double moe = rows.get(0).msPerForward();
      double ops = rows.get(1).msPerForward();
      System.out.println(
          "| model | parameters (total / active) | ms per forward | µs per token | MoE (TorchScript) ÷"
              + " this |");
      System.out.println("|---|---|---|---|---|");
      for (MoeBenchmark.Row r : rows) {
        System.out.printf(
            "| %s | %,d / %,d | %.2f | %.2f | %.2f× |%n",
            r.model(),
            r.totalParameters(),
            r.activeParameters(),
            r.msPerForward(),
            r.microsPerToken(tokens),
            moe / r.msPerForward());
      }
      System.out.printf(
          "%nMoE ÷ dense of equal active parameters: %.2f× (goal ≤ 1.3×); every-expert oracle ÷"
              + " grouped, op by op: %.2f× (goal ≥ 3×); every-expert (op by op) ÷ MoE"
              + " (TorchScript): %.2f×; MoE ÷ dense of equal total parameters: %.2f×%n%n",
          moe / rows.get(3).msPerForward(),
          rows.get(2).msPerForward() / ops,
          rows.get(2).msPerForward() / moe,
          moe / rows.get(4).msPerForward());
    }
    return 0;
  }

  private LladaConfig config(int d, int h, int l, int e, int k, int ff) {
    return new LladaConfig(
        d,
        h,
        h,
        l,
        ff,
        vocab,
        vocab,
        10000.0,
        1e-5,
        Math.max(length, 128),
        vocab - 4,
        vocab - 5,
        vocab - 5,
        true,
        new MoeSpec(e, k, ff, false, false, 0.01, 0.001));
  }
}

package dev.llada.core.cli;

import dev.llada.core.eval.SamplerLadder;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Task;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** {@code bench --sampler}: the method ladder's options and its run. */
final class LadderOptions {

  @Option(names = "--model", paramLabel = "DIR", description = "--sampler: the model directory")
  Path model;

  @Option(
      names = "--tasks",
      split = ",",
      description = "--sampler: tasks with their slots, e.g. t2-sort@256,t4-word@1024")
  List<String> tasks;

  @Option(
      names = "--n",
      defaultValue = "30",
      description =
          "--sampler: items per task, the same for every method (default: ${DEFAULT-VALUE})")
  int n;

  @Option(
      names = "--block-length",
      defaultValue = "32",
      description = "--sampler: block length (default: ${DEFAULT-VALUE})")
  int blockLength;

  @Option(
      names = "--methods",
      split = ",",
      description = "--sampler: ladder rows to run (default: all)")
  List<String> methods;

  @Option(
      names = "--results",
      defaultValue = "var/bench/ladder.jsonl",
      description =
          "--sampler: per-item outcomes, read first: a run resumes (default: ${DEFAULT-VALUE})")
  Path results;

  @Option(
      names = "--batch-sizes",
      split = ",",
      defaultValue = "1,4,8,16",
      description =
          "--sampler: batch scaling of --batch-method (default: ${DEFAULT-VALUE}; 0 skips)")
  List<Integer> batchSizes;

  @Option(
      names = "--batch-method",
      defaultValue = "ours",
      description = "--sampler: the method batch scaling runs (default: ${DEFAULT-VALUE})")
  String batchMethod;

  int run(String device) throws java.io.IOException {
    if (model == null || tasks == null || tasks.isEmpty()) {
      throw new IllegalArgumentException("--sampler needs --model and --tasks");
    }
    if (n < 1 || blockLength < 1) {
      throw new IllegalArgumentException("--n and --block-length must be >= 1");
    }
    List<SamplerLadder.Method> all = SamplerLadder.methods();
    List<SamplerLadder.Method> chosen =
        methods == null
            ? all
            : methods.stream()
                .map(
                    id ->
                        all.stream()
                            .filter(m -> m.id().equals(id))
                            .findFirst()
                            .orElseThrow(
                                () ->
                                    new IllegalArgumentException(
                                        "unknown method '"
                                            + id
                                            + "'; known: "
                                            + all.stream().map(SamplerLadder.Method::id).toList())))
                .toList();
    List<Task> list = tasks.stream().map(Tasks::get).toList();
    for (Task t : list) {
      if (t.genLength() % blockLength != 0) {
        throw new IllegalArgumentException(
            t.name() + ": gen_length " + t.genLength() + " is not a multiple of " + blockLength);
      }
    }
    if (results.getParent() != null) {
      Files.createDirectories(results.getParent());
    }
    try (DjlMaskPredictor predictor = DjlMaskPredictor.load(model, device);
        LladaTokenizer tokenizer = LladaTokenizer.load(model)) {
      SamplerLadder ladder = new SamplerLadder(predictor, tokenizer, results, LladaCli.io.err);
      for (Task t : list) {
        ladder.run(t, n, blockLength, chosen);
        LladaCli.io.out.print(ladder.report(t, n, blockLength, chosen));
      }
      if (!batchSizes.isEmpty() && batchSizes.get(0) > 0) {
        SamplerLadder.Method m =
            all.stream()
                .filter(x -> x.id().equals(batchMethod))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown method " + batchMethod));
        LladaCli.io.out.printf(
            Locale.ROOT,
            "%n**Batch scaling** (%s, step-level batcher, up to `batch` requests in flight)%n%n| task | batch | useful tok/s | vs"
                + " batch 1 | accuracy |%n|---|---|---|---|---|%n",
            m.id());
        for (Task t : list) {
          double base = Double.NaN;
          for (int b : batchSizes) {
            double[] r = ladder.batched(t, n, blockLength, m, b);
            if (Double.isNaN(base)) {
              base = r[0];
            }
            LladaCli.io.out.printf(
                Locale.ROOT,
                "| %s | %d | %.1f | %.2f× | %.1f %% |%n",
                t.name(),
                b,
                r[0],
                r[0] / base,
                100 * r[1]);
          }
        }
      }
    }
    return 0;
  }
}

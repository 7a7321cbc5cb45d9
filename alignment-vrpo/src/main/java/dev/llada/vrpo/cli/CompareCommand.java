package dev.llada.vrpo.cli;

import dev.llada.core.eval.Evaluation;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Task;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.vrpo.PairedComparison;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "vrpo-compare",
    description =
        "Held-out exact match of models against a baseline on the same items (reference sampler,"
            + " T = 0, chat canvas): paired differences with 95%% intervals and McNemar's p, the"
            + " average over the listed tasks, answer length and form.")
final class CompareCommand implements Callable<Integer> {

  @Option(names = "--baseline", required = true, paramLabel = "DIR")
  Path baseline;

  @Option(names = "--model", required = true, paramLabel = "DIR", description = "repeatable")
  List<Path> models;

  @Option(names = "--tasks", required = true, split = ",")
  List<String> tasks;

  @Option(
      names = "--average",
      split = ",",
      description = "tasks whose mean difference is reported (default: all of --tasks)")
  List<String> average;

  @Option(names = "--n", defaultValue = "1000", description = "held-out items per task")
  int n;

  @Option(names = "--seed", defaultValue = "2026")
  long seed;

  @Option(names = "--markdown", paramLabel = "FILE", description = "also write the tables to FILE")
  Path markdown;

  @Override
  public Integer call() throws Exception {
    tasks.forEach(Tasks::get);
    List<String> averaged = average == null ? tasks : average;
    for (String t : averaged) {
      if (!tasks.contains(t)) {
        throw new IllegalArgumentException("--average names " + t + ", which is not in --tasks");
      }
    }
    if (n < 1) {
      throw new IllegalArgumentException("--n must be at least 1");
    }
    Map<String, Evaluation.Answers> base = answers(baseline);
    StringBuilder out = new StringBuilder();
    for (Path m : models) {
      int printed = out.length();
      Map<String, Evaluation.Answers> other = answers(m);
      out.append(
          String.format(
              "%n**%s** against **%s** (%d held-out items per task, seed %d)%n%n",
              m.getFileName(), baseline.getFileName(), n, seed));
      out.append(
          "| task | baseline | model | Δ (95 % CI) | only baseline / only model | McNemar p |"
              + " answer length (baseline / model / gold) | well-formed (baseline / model) |\n");
      out.append("|---|---|---|---|---|---|---|---|\n");
      List<PairedComparison.Row> listed = new ArrayList<>();
      for (String t : tasks) {
        Task task = Tasks.get(t);
        PairedComparison.Row r = PairedComparison.compare(task, base.get(t), other.get(t));
        if (averaged.contains(t)) {
          listed.add(r);
        }
        out.append(
            String.format(
                "| %s | %.1f %% | %.1f %% | %+.1f (%+.1f … %+.1f) | %d / %d | %.3g | %.2f / %.2f /"
                    + " %.2f | %.1f / %.1f %% |%n",
                t,
                100 * r.baseline(),
                100 * r.model(),
                100 * r.delta(),
                100 * r.low(),
                100 * r.high(),
                r.onlyBaseline(),
                r.onlyModel(),
                r.p(),
                r.baselineLength(),
                r.modelLength(),
                r.goldLength(),
                100 * r.baselineForm(),
                100 * r.modelForm()));
      }
      double[] avg = PairedComparison.average(listed);
      out.append(
          String.format(
              "%naverage Δ over %s: %+.2f points (95 %% CI %+.2f … %+.2f)%n",
              averaged,
              100 * avg[0],
              100 * (avg[0] - 1.96 * avg[1]),
              100 * (avg[0] + 1.96 * avg[1])));
      System.out.print(out.substring(printed));
    }
    if (markdown != null) {
      Files.writeString(markdown, out.toString(), StandardCharsets.UTF_8);
    }
    return 0;
  }

  private Map<String, Evaluation.Answers> answers(Path model) {
    Map<String, Evaluation.Answers> all = new LinkedHashMap<>();
    try (DjlMaskPredictor predictor = DjlMaskPredictor.load(model, "cpu");
        LladaTokenizer tokenizer = LladaTokenizer.load(model)) {
      Evaluation eval = new Evaluation(predictor, tokenizer, Evaluation.Format.CHAT);
      for (String t : tasks) {
        all.put(t, eval.answer(Tasks.get(t), n, seed));
      }
    }
    return all;
  }
}

package dev.llada.vrpo.cli;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.vrpo.OnPolicyPairs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "vrpo-pairs",
    description =
        "Sample on-policy preference pairs: k answers per training question at temperature T;"
            + " chosen = a correct sample (gold only where none is), rejected = an incorrect one."
            + " Prints each task's sample accuracy and how its pairs were made.")
final class PairsCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "DIR")
  Path model;

  @Option(names = "--tasks", required = true, split = ",", description = "tasks to sample")
  List<String> tasks;

  @Option(names = "--questions", defaultValue = "256", description = "questions per task")
  int questions;

  @Option(names = "--k", defaultValue = "8", description = "samples per question")
  int k;

  @Option(names = "--temperature", defaultValue = "1.0")
  double temperature;

  @Option(names = "--seed", defaultValue = "18")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "JSONL to write")
  Path out;

  @Override
  public Integer call() throws Exception {
    tasks.forEach(Tasks::get); // unknown names fail before any work
    List<String> lines = new ArrayList<>();
    System.out.println(
        "| task | questions | samples correct (T="
            + temperature
            + ") | pass@"
            + k
            + " | pairs | gold chosen | all k correct | only empty wrong |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    try (DjlMaskPredictor predictor = DjlMaskPredictor.load(model, "cpu");
        LladaTokenizer tokenizer = LladaTokenizer.load(model)) {
      OnPolicyPairs sampler = new OnPolicyPairs(predictor, tokenizer);
      for (int t = 0; t < tasks.size(); t++) {
        OnPolicyPairs.TaskHarvest h =
            sampler.harvest(Tasks.get(tasks.get(t)), questions, k, temperature, seed + t);
        lines.addAll(h.lines());
        System.out.printf(
            "| %s | %d | %.1f %% | %.1f %% | %d | %d | %d | %d |%n",
            h.task(),
            h.questions(),
            100 * h.sampleAccuracy(),
            100 * h.passAtK(),
            h.pairs(),
            h.goldPairs(),
            h.allCorrect(),
            h.noUsableRejected());
      }
    }
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.write(out, lines, StandardCharsets.UTF_8);
    System.err.println("llada: " + lines.size() + " pairs in " + out);
    return 0;
  }
}

package dev.llada.core.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.llada.core.eval.Evaluation;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.Acceleration;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "eval",
    description =
        "Held-out exact-match accuracy per task (Wilson 95%% intervals), likelihood multiple choice, NFE and wall time.")
final class EvalCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Mixin SamplerChoice sampler;

  @Option(names = "--tasks", split = ",", description = "tasks (default: all)")
  List<String> tasks;

  @Option(
      names = "--n",
      defaultValue = "200",
      description = "items per task (default: ${DEFAULT-VALUE})")
  int n;

  @Option(
      names = "--format",
      defaultValue = "chat",
      description = "chat (Instruct) or plain (Base) (default: ${DEFAULT-VALUE})")
  String format;

  @Option(
      names = "--mc-samples",
      defaultValue = "8",
      description =
          "Monte Carlo samples per option for multiple choice; 0 skips it (default: ${DEFAULT-VALUE})")
  int mcSamples;

  @Option(
      names = "--mc-continuation",
      defaultValue = "response",
      description =
          "what multiple choice scores: response (answer, terminator and EOS padding to the task's"
              + " canvas, as trained) or answer (the bare continuation, as get_log_likelihood.py)"
              + " (default: ${DEFAULT-VALUE})")
  String mcContinuation;

  @Option(names = "--seed", defaultValue = "2026")
  long seed;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Option(names = "--markdown", paramLabel = "FILE", description = "also write the table to FILE")
  Path markdown;

  @Option(
      names = "--record",
      paramLabel = "FILE",
      description =
          "also write {format, n, seed, exact_match and multiple_choice per task} to FILE (what"
              + " ZooModelsTest replays)")
  Path record;

  @Override
  public Integer call() throws Exception {
    if (n < 1) {
      throw new IllegalArgumentException("--n must be >= 1");
    }
    Evaluation.Format f =
        switch (format) {
          case "chat" -> Evaluation.Format.CHAT;
          case "plain" -> Evaluation.Format.PLAIN;
          default ->
              throw new IllegalArgumentException(
                  "--format must be chat or plain, got '" + format + "'");
        };
    Evaluation.Continuation continuation =
        switch (mcContinuation) {
          case "response" -> Evaluation.Continuation.RESPONSE;
          case "answer" -> Evaluation.Continuation.ANSWER;
          default ->
              throw new IllegalArgumentException(
                  "--mc-continuation must be response or answer, got '" + mcContinuation + "'");
        };
    List<String> names = tasks == null ? List.copyOf(Tasks.all().keySet()) : tasks;
    names.forEach(Tasks::get);
    Acceleration acceleration = sampler.acceleration(); // bad options fail before loading
    List<Evaluation.TaskScore> scores = new ArrayList<>();
    try (DjlMaskPredictor predictor = model.load();
        LladaTokenizer tokenizer = model.tokenizer()) {
      Evaluation evaluation = new Evaluation(predictor, tokenizer, f, continuation);
      if (acceleration != null) {
        evaluation.accelerated(acceleration);
      }
      for (String name : names) {
        Evaluation.TaskScore s = evaluation.score(Tasks.get(name), n, seed, mcSamples);
        scores.add(s);
        System.err.printf(
            "[eval] %-13s %5.1f %% exact (%d/%d)%n", name, 100 * s.accuracy(), s.correct(), s.n());
      }
    }
    String table = Evaluation.markdown(scores);
    if (record != null) {
      JsonObject r = new JsonObject();
      r.addProperty("format", f.name());
      r.addProperty("n", n);
      r.addProperty("seed", seed);
      JsonObject em = new JsonObject();
      scores.forEach(s -> em.addProperty(s.task(), s.accuracy()));
      r.add("exact_match", em);
      if (mcSamples > 0) {
        r.addProperty("mc_samples", mcSamples);
        r.addProperty("mc_continuation", continuation.name());
        JsonObject mc = new JsonObject();
        scores.forEach(s -> mc.addProperty(s.task(), s.mcAccuracy()));
        r.add("multiple_choice", mc);
      }
      Files.writeString(
          record, new GsonBuilder().setPrettyPrinting().create().toJson(r), StandardCharsets.UTF_8);
    }
    if (markdown != null) {
      Files.writeString(markdown, table, StandardCharsets.UTF_8);
    }
    if (json) {
      JsonArray out = new JsonArray();
      for (Evaluation.TaskScore s : scores) {
        JsonObject o = new JsonObject();
        o.addProperty("task", s.task());
        o.addProperty("n", s.n());
        o.addProperty("exact_match", s.accuracy());
        o.addProperty("ci_low", s.ciLow());
        o.addProperty("ci_high", s.ciHigh());
        if (!Double.isNaN(s.mcAccuracy())) {
          o.addProperty("mc_accuracy", s.mcAccuracy());
        }
        o.addProperty("nfe", s.nfe());
        o.addProperty("wall_s", s.wallSeconds());
        JsonArray samples = new JsonArray();
        for (String[] sample : s.samples()) {
          JsonObject x = new JsonObject();
          x.addProperty("question", sample[0]);
          x.addProperty("answer", sample[1]);
          x.addProperty("output", sample[2]);
          samples.add(x);
        }
        o.add("samples", samples);
        out.add(o);
      }
      LladaCli.io.out.println(
          new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(out));
    } else {
      LladaCli.io.out.print(table);
    }
    return 0;
  }
}

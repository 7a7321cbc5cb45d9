package dev.llada.core.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.llada.core.eval.VisionEvaluation;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "eval-vision",
    description =
        "Held-out visual question accuracy of a LLaDA-V model per category of the shape-scene"
            + " suite (Wilson 95%% intervals) and on their equal mix.")
final class EvalVisionCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Option(
      names = "--categories",
      split = ",",
      description = "colour, shape, count, position, comparison (default: all)")
  List<String> categories;

  @Option(
      names = "--n",
      defaultValue = "200",
      description = "items per category (default: ${DEFAULT-VALUE})")
  int n;

  @Option(names = "--seed", defaultValue = "2026")
  long seed;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Option(names = "--markdown", paramLabel = "FILE", description = "also write the table to FILE")
  Path markdown;

  @Option(
      names = "--record",
      paramLabel = "FILE",
      description = "also write {n, seed, exact_match per category and mix} to FILE")
  Path record;

  @Override
  public Integer call() throws Exception {
    if (n < 1) {
      throw new IllegalArgumentException("--n must be >= 1");
    }
    List<ShapeScenes.Category> chosen = new ArrayList<>();
    for (String c : categories == null ? List.<String>of() : categories) {
      try {
        chosen.add(ShapeScenes.Category.valueOf(c.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown category '" + c + "' (known: colour, shape, count, position, comparison)");
      }
    }
    if (chosen.isEmpty()) {
      chosen = List.of(ShapeScenes.Category.values());
    }
    VisionEvaluation.Report report;
    DjlMaskPredictor.inferenceOnThisThread();
    try (VisionModel vision = VisionModel.load(model.directory(), model.device);
        LladaTokenizer tokenizer = model.tokenizer()) {
      report = new VisionEvaluation(vision, tokenizer).score(chosen, n, seed);
    }
    for (VisionEvaluation.CategoryScore s : report.categories()) {
      System.err.printf(
          "[eval-vision] %-10s %5.1f %% exact (%d/%d)%n",
          s.category(), 100 * s.accuracy(), s.correct(), s.n());
    }
    String table = VisionEvaluation.markdown(report);
    if (record != null) {
      JsonObject r = new JsonObject();
      r.addProperty("n", n);
      r.addProperty("seed", seed);
      JsonObject em = new JsonObject();
      report.categories().forEach(s -> em.addProperty(s.category(), s.accuracy()));
      r.add("exact_match", em);
      r.addProperty("mix", report.accuracy());
      Files.writeString(
          record, new GsonBuilder().setPrettyPrinting().create().toJson(r), StandardCharsets.UTF_8);
    }
    if (markdown != null) {
      Files.writeString(markdown, table, StandardCharsets.UTF_8);
    }
    if (json) {
      JsonObject o = new JsonObject();
      JsonArray out = new JsonArray();
      for (VisionEvaluation.CategoryScore s : report.categories()) {
        JsonObject c = new JsonObject();
        c.addProperty("category", s.category());
        c.addProperty("n", s.n());
        c.addProperty("exact_match", s.accuracy());
        c.addProperty("ci_low", s.ciLow());
        c.addProperty("ci_high", s.ciHigh());
        c.addProperty("nfe", s.nfe());
        c.addProperty("wall_s", s.wallSeconds());
        JsonArray samples = new JsonArray();
        for (String[] sample : s.samples()) {
          JsonObject x = new JsonObject();
          x.addProperty("question", sample[0]);
          x.addProperty("answer", sample[1]);
          x.addProperty("output", sample[2]);
          samples.add(x);
        }
        c.add("samples", samples);
        out.add(c);
      }
      o.add("categories", out);
      o.addProperty("mix", report.accuracy());
      LladaCli.io.out.println(
          new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o));
    } else {
      LladaCli.io.out.print(table);
    }
    return 0;
  }
}

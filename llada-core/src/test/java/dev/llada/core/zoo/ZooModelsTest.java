package dev.llada.core.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.eval.Evaluation;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.weights.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shipped tiny models: each one loads through the same code as LLaDA-8B, is the exact content
 * its model card's digest names, fits the 16 MB budget, and still scores on a fast held-out subset
 * (the items per task its {@code ci-eval.json} names, deterministic) what it recorded, within 10
 * points, for exact match and, where recorded, likelihood multiple choice. The Instruct model must
 * also clear issue #4's targets on that subset: 2-digit addition ≥ 90 %, sorting ≥ 90 %, reversal ≥
 * 50 %, couplets forward ≥ 50 % and backward ≥ 0.8 × forward, multiple choice ≥ 90 % on every task.
 */
class ZooModelsTest {

  private static final Path ZOO = Path.of("..", "models");

  /** Issue #4's exact-match targets the shipped Instruct model meets (checked on the CI subset). */
  private static final java.util.Map<String, Double> INSTRUCT_TARGETS =
      java.util.Map.of("add2", 0.90, "sort", 0.90, "reverse", 0.50, "couplet-next", 0.50);

  /** Issue #4's likelihood multiple-choice target, per task. */
  private static final double INSTRUCT_MC_TARGET = 0.90;

  /** Every model directory shipped under {@code models/}. */
  static Stream<String> shipped() throws Exception {
    return Files.list(ZOO)
        .filter(d -> Files.isRegularFile(d.resolve("config.json")))
        .map(d -> d.getFileName().toString())
        .sorted()
        .toList()
        .stream();
  }

  @Test
  void theBaseModelIsShipped() throws Exception {
    assertTrue(shipped().anyMatch(n -> n.equals("llada-tiny-base")), "models/llada-tiny-base");
  }

  @ParameterizedTest
  @MethodSource("shipped")
  void shippedModelMatchesItsCardAndItsRecordedScores(String name) throws Exception {
    Path dir = ZOO.resolve(name);
    assertTrue(Files.isDirectory(dir), dir.toAbsolutePath() + " is shipped");
    ModelDirectory model = ModelDirectory.describe(dir);
    String card = Files.readString(dir.resolve("MODEL_CARD.md"));
    assertTrue(card.contains(model.digest()), "MODEL_CARD.md names digest " + model.digest());
    long bytes;
    try (Stream<Path> files = Files.list(dir)) {
      bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    assertTrue(bytes <= 16L * 1024 * 1024, name + " is " + bytes + " bytes");

    JsonObject recorded =
        JsonParser.parseString(Files.readString(dir.resolve("ci-eval.json"))).getAsJsonObject();
    Evaluation.Format format = Evaluation.Format.valueOf(recorded.get("format").getAsString());
    int n = recorded.get("n").getAsInt();
    long seed = recorded.get("seed").getAsLong();
    try (DjlMaskPredictor predictor = DjlMaskPredictor.load(dir, "cpu");
        LladaTokenizer tokenizer = LladaTokenizer.load(dir)) {
      JsonObject mcRecorded =
          recorded.has("multiple_choice") ? recorded.getAsJsonObject("multiple_choice") : null;
      int mcSamples = mcRecorded == null ? 0 : recorded.get("mc_samples").getAsInt();
      Evaluation evaluation =
          new Evaluation(
              predictor,
              tokenizer,
              format,
              mcRecorded == null
                  ? Evaluation.Continuation.RESPONSE
                  : Evaluation.Continuation.valueOf(recorded.get("mc_continuation").getAsString()));
      java.util.Map<String, Double> scores = new java.util.HashMap<>();
      java.util.Map<String, Double> mc = new java.util.HashMap<>();
      for (var e : recorded.getAsJsonObject("exact_match").entrySet()) {
        double expected = e.getValue().getAsDouble();
        Evaluation.TaskScore score =
            evaluation.score(
                Tasks.get(e.getKey()),
                n,
                seed,
                mcRecorded != null && mcRecorded.has(e.getKey()) ? mcSamples : 0);
        assertEquals(expected, score.accuracy(), 0.10, name + " " + e.getKey());
        scores.put(e.getKey(), score.accuracy());
        if (!Double.isNaN(score.mcAccuracy())) {
          assertEquals(
              mcRecorded.get(e.getKey()).getAsDouble(),
              score.mcAccuracy(),
              0.10,
              name + " " + e.getKey() + " multiple choice");
          mc.put(e.getKey(), score.mcAccuracy());
        }
      }
      if (dev.llada.core.vision.VisionModelConfig.isVision(dir)) {
        visionScoresAsRecorded(dir, tokenizer);
      }
      if (name.endsWith("-instruct")) {
        for (var target : INSTRUCT_TARGETS.entrySet()) {
          double actual = scores.getOrDefault(target.getKey(), -1.0);
          assertTrue(
              actual >= target.getValue(),
              name + " " + target.getKey() + " " + actual + " < target " + target.getValue());
        }
        assertTrue(
            scores.get("couplet-prev") >= 0.8 * scores.get("couplet-next"),
            "couplets backward >= 0.8 x forward: " + scores);
        assertEquals(scores.keySet(), mc.keySet(), "multiple choice is replayed for every task");
        for (var e : mc.entrySet()) {
          assertTrue(
              e.getValue() >= INSTRUCT_MC_TARGET,
              name + " " + e.getKey() + " multiple choice " + e.getValue() + " < target");
        }
      }
    }
  }

  /**
   * A LLaDA-V model also replays its {@code ci-eval-vision.json}: held-out visual questions per
   * category, within 10 points of what it recorded.
   */
  private static void visionScoresAsRecorded(Path dir, LladaTokenizer tokenizer) throws Exception {
    JsonObject recorded =
        JsonParser.parseString(Files.readString(dir.resolve("ci-eval-vision.json")))
            .getAsJsonObject();
    int n = recorded.get("n").getAsInt();
    long seed = recorded.get("seed").getAsLong();
    java.util.List<dev.llada.core.vision.ShapeScenes.Category> categories =
        new java.util.ArrayList<>();
    for (String c : recorded.getAsJsonObject("exact_match").keySet()) {
      categories.add(
          dev.llada.core.vision.ShapeScenes.Category.valueOf(c.toUpperCase(java.util.Locale.ROOT)));
    }
    DjlMaskPredictor.inferenceOnThisThread();
    try (dev.llada.core.vision.VisionModel model =
        dev.llada.core.vision.VisionModel.load(dir, "cpu")) {
      var report =
          new dev.llada.core.eval.VisionEvaluation(model, tokenizer).score(categories, n, seed);
      for (var c : report.categories()) {
        assertEquals(
            recorded.getAsJsonObject("exact_match").get(c.category()).getAsDouble(),
            c.accuracy(),
            0.10,
            dir.getFileName() + " " + c.category());
      }
    }
  }
}

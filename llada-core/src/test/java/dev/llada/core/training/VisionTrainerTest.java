package dev.llada.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.eval.VisionEvaluation;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.LladaNames;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionTower;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.SafetensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LLaDA-V's staged training on the visual suite: alignment leaves the language model untouched, the
 * full stage trains it with text rows mixed in, a run killed inside the first stage resumes across
 * the stage boundary to the identical loss curve, and the result loads and answers as a LLaDA-V
 * model in the published layout.
 */
class VisionTrainerTest {

  @TempDir Path temp;

  private final PrintStream quiet =
      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  @BeforeEach
  void base() throws Exception {
    Path file = temp.resolve("base.json");
    Files.writeString(file, TrainerTest.recipe("base", "pretrain", "base", null, 3e-3, 2));
    new Trainer(Recipe.read(file, temp), quiet).run();
  }

  static String recipe(String output, String extraTop, String stageExtra) {
    return """
        {"name": "v", "seed": 4, "output": "%s", "init": "base", "max_sequence_length": 128,
         "vision": {"image_size": 32, "patch_size": 8, "hidden_size": 16, "intermediate_size": 32,
                    "num_hidden_layers": 3, "num_attention_heads": 2, "select_layer": -2,
                    "image_newline": true},
         "questions": {"colour": 1, "count": 1},
         "text": {"add2": 1},
         "stages": [{"name": "align", "trains": "vision", "steps": 4, "lr": 0.003, "warmup": 1},
                    {"name": "full", "trains": "all", "steps": 4, "lr": 0.001, "warmup": 1,
                     "text_fraction": 0.5%s}],
         "train": {"batch_size": 3, "checkpoint_every": 3, "log_every": 1}%s}
        """
        .formatted(output, stageExtra, extraTop);
  }

  private VisionRecipe write(String json) throws Exception {
    Path file = Files.createTempFile(temp, "recipe", ".json");
    Files.writeString(file, json);
    return VisionRecipe.read(file, temp);
  }

  private static Map<Integer, JsonObject> rows(Path metrics) throws Exception {
    Map<Integer, JsonObject> byStep = new LinkedHashMap<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      byStep.put(o.get("step").getAsInt(), o); // a resumed step overwrites
    }
    return byStep;
  }

  @Test
  void alignmentFreezesTheLanguageModelAndAKilledRunResumesAcrossTheStages() throws Exception {
    VisionRecipe full = write(recipe("full", "", ""));
    Trainer.Result done = new VisionTrainer(full, quiet).run();
    assertEquals(8, done.lastStep());
    Map<Integer, JsonObject> reference = rows(temp.resolve("full/metrics.jsonl"));
    assertEquals(8, reference.size());
    boolean text = false;
    for (JsonObject row : reference.values()) {
      JsonObject tasks = row.getAsJsonObject("task_loss");
      if (row.get("stage").getAsString().equals("align")) {
        assertFalse(tasks.has("add2"), "no text rows while aligning: " + row);
        assertTrue(tasks.has("vqa"), row.toString());
      }
      text |= tasks.has("add2");
    }
    assertTrue(text, "the full stage mixes text rows in: " + reference);

    VisionRecipe killed = write(recipe("killed", "", ""));
    Trainer.Result first = new VisionTrainer(killed, quiet).run(4); // the align stage's end
    assertEquals(4, first.lastStep());
    Path step3 = temp.resolve("killed/checkpoints/step-0000003");
    assertTrue(Files.isDirectory(step3));
    // the language model is the init's after alignment; the tower is not its init any more
    try (SafetensorsFile state = SafetensorsFile.open(step3.resolve("train-state.safetensors"));
        Checkpoint init = Checkpoint.open(temp.resolve("base"))) {
      for (String name :
          List.of(LladaNames.WTE, LladaNames.block(1, "ff_out"), LladaNames.LM_HEAD)) {
        assertArrayEquals(init.readFloats(name), state.readFloats("param/" + name), name);
      }
      assertTrue(
          state.readFloats("adam_m/" + VisionTower.PROJECTOR + "0.weight")[0] != 0,
          "the projector is trained");
    }
    Trainer.Result resumed = new VisionTrainer(killed, quiet).run();
    assertEquals(3, resumed.firstStep(), "resumed from the step-3 checkpoint");
    Map<Integer, JsonObject> after = rows(temp.resolve("killed/metrics.jsonl"));
    for (int step = 4; step <= 8; step++) {
      assertEquals(
          reference.get(step).get("loss").getAsDouble(),
          after.get(step).get("loss").getAsDouble(),
          "step " + step);
    }
    // the full stage changed the language model
    try (Checkpoint init = Checkpoint.open(temp.resolve("base"));
        Checkpoint trained = Checkpoint.open(done.model())) {
      assertFalse(
          java.util.Arrays.equals(
              init.readFloats(LladaNames.LM_HEAD), trained.readFloats("lm_head.weight")));
    }
    // the result is a LLaDA-V model in the published layout, and it answers
    DjlMaskPredictor.inferenceOnThisThread();
    try (VisionModel model = VisionModel.load(done.model(), "cpu");
        LladaTokenizer tokenizer = LladaTokenizer.load(done.model())) {
      assertEquals(17, model.tokensPerImage());
      VisionEvaluation.Report report =
          new VisionEvaluation(model, tokenizer)
              .score(List.of(ShapeScenes.Category.COLOUR, ShapeScenes.Category.COUNT), 3, 1);
      assertEquals(6, report.n());
      assertEquals(2, report.categories().size());
    }
    // the newest checkpoint exports as the model of its step
    int step = new VisionTrainer(killed, quiet).exportLatest(temp.resolve("export"));
    assertEquals(8, step);
    try (Checkpoint a = Checkpoint.open(temp.resolve("export"));
        Checkpoint b = Checkpoint.open(temp.resolve("killed"))) {
      assertEquals(b.names(), a.names());
      assertArrayEquals(b.readFloats("model.image_newline"), a.readFloats("model.image_newline"));
    }
  }

  @Test
  void badRecipesFailAtOnceWithTheField() {
    assertBad("unknown field \"colour\"", recipe("x", ", \"colour\": 1", ""));
    assertBad(
        "unknown category \"size\"", recipe("x", "", "").replace("\"count\": 1", "\"size\": 1"));
    assertBad(
        "stages[].trains must be \"vision\" or \"all\"",
        recipe("x", "", "").replace("\"trains\": \"all\"", "\"trains\": \"lm\""));
    assertBad(
        "has a text_fraction but \"text\" names no task",
        recipe("x", "", "").replace("\"text\": {\"add2\": 1},", ""));
    assertBad("unknown field \"stages[].epochs\"", recipe("x", "", ", \"epochs\": 2"));
    assertBad(
        "vision: vision image_size 4 must be at least patch_size 8",
        recipe("x", "", "").replace("\"image_size\": 32", "\"image_size\": 4"));
    assertBad(
        "stage align freezes the language model: no language_lr",
        recipe("x", "", "")
            .replace(
                "\"lr\": 0.003, \"warmup\": 1}",
                "\"lr\": 0.003, \"warmup\": 1, \"language_lr\": 0.1}"));
    assertBad(
        "the weight of add2 must be > 0",
        recipe("x", "", "").replace("\"add2\": 1}", "\"add2\": 0}"));
  }

  @Test
  void aScaledParameterMovesByItsShareOfTheLearningRate() {
    try (ai.djl.ndarray.NDManager m = ai.djl.engine.Engine.getEngine("PyTorch").newBaseManager()) {
      Map<String, ai.djl.ndarray.NDArray> params = new LinkedHashMap<>();
      params.put("vision", m.create(new float[] {1f}));
      params.put("language", m.create(new float[] {1f}));
      Map<String, ai.djl.ndarray.NDArray> grads = new LinkedHashMap<>();
      grads.put("vision", m.create(new float[] {2f}));
      grads.put("language", m.create(new float[] {2f}));
      AdamW adam = new AdamW(params, 0.9, 0.95, 0.1, java.util.Set.of());
      adam.scaled(java.util.Set.of("language"), 0.25).step(params, grads, 0.01, 1);
      // Adam's first step moves by lr · sign(g) (bias-corrected m / √v = 1)
      assertEquals(1 - 0.01, params.get("vision").getFloat(), 1e-6);
      assertEquals(1 - 0.0025, params.get("language").getFloat(), 1e-6);
    }
  }

  @Test
  void rowsThatDoNotFitTheContextAreRefusedBeforeTraining() throws Exception {
    VisionRecipe tight =
        write(
            recipe("tight", "", "")
                .replace("\"max_sequence_length\": 128", "\"max_sequence_length\": 96"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new VisionTrainer(tight, quiet).run());
    assertTrue(e.getMessage().contains("more than max_sequence_length 96"), e.getMessage());
  }

  private void assertBad(String message, String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> write(json));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}

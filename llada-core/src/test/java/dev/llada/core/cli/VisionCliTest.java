package dev.llada.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFamily;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.model.TinyModels;
import dev.llada.core.tokenizer.ByteLevelTokenizerWriter;
import dev.llada.core.tokenizer.SpecialTokenNames;
import dev.llada.core.vision.PreprocessorConfig;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionConfig;
import dev.llada.core.vision.VisionModelConfig;
import dev.llada.core.vision.VisionModelFiles;
import dev.llada.core.vision.VisionTower;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate --image} and {@code eval-vision} on a tiny LLaDA-V model, and their refusals. */
class VisionCliTest {

  @TempDir static Path temp;
  static Path model;
  static Path vision;
  static Path png;

  @BeforeAll
  static void tinyVisionModel() throws Exception {
    model = temp.resolve("tiny");
    Map<String, Integer> ids = ByteLevelTokenizerWriter.write(model, List.of());
    int vocab = 256 + ids.size();
    LladaConfig config =
        new LladaConfig(
            32,
            4,
            4,
            2,
            48,
            vocab,
            vocab,
            10000.0,
            1e-5,
            512,
            ids.get(SpecialTokenNames.MASK),
            ids.get(SpecialTokenNames.EOS),
            ids.get(SpecialTokenNames.EOS));
    TinyModels.write(model, config, 13, DType.F32, 0);
    vision = temp.resolve("tiny-v");
    VisionConfig tower = new VisionConfig(16, 24, 3, 2, 8, 32, 1e-6, -2);
    try (LladaNetwork network = LladaNetwork.load(model, Device.cpu(), false);
        NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      VisionModelFiles.write(
          vision,
          new VisionModelConfig(
              config.withFamily(ModelFamily.LLAVA_LLADA), tower, true, "test/siglip"),
          network,
          VisionTower.initialize(tower, config.dModel(), true, m, 1),
          PreprocessorConfig.siglip(32));
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(model.resolve(f), vision.resolve(f));
    }
    png = temp.resolve("scene.png");
    ShapeScenes scenes = new ShapeScenes(48); // not the tower's size: resized
    ImageIO.write(
        scenes.draw(
            List.of(new ShapeScenes.Shape(ShapeScenes.Kind.CIRCLE, ShapeScenes.Hue.RED, 1, 2))),
        "png",
        png.toFile());
  }

  @Test
  void inspectCountsTheTowerProjectorAndNewlineBesideTheLanguageModel() {
    LladaCliTest.Result r = LladaCliTest.run("", "inspect", "--model", vision.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    com.google.gson.JsonObject o =
        com.google.gson.JsonParser.parseString(r.out()).getAsJsonObject();
    long language = o.get("language_parameters").getAsLong();
    long visual = o.get("vision_parameters").getAsLong();
    assertTrue(language > 0 && visual > 0, r.out());
    assertEquals(language + visual, o.get("parameters_from_config").getAsLong());
    assertEquals(o.get("parameters").getAsLong(), o.get("parameters_from_config").getAsLong());
    LladaCliTest.Result text = LladaCliTest.run("", "inspect", "--model", vision.toString());
    assertTrue(text.out().contains("tower, projector and newline"), text.out());
  }

  @Test
  void generateTakesImagesForAVisionModelAndReportsTheImagesPositions() {
    LladaCliTest.Result r =
        LladaCliTest.run(
            "",
            "generate",
            "--model",
            vision.toString(),
            "--chat",
            "--prompt",
            "what colour is the circle?",
            "--image",
            png.toString(),
            "--gen-length",
            "4",
            "--steps",
            "4",
            "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(4, o.getAsJsonArray("output_ids").get(0).getAsJsonArray().size());
    // the prompt holds the image's 16 patches + newline after "<image>" was put first
    assertTrue(o.getAsJsonArray("prompt_ids").get(0).getAsJsonArray().size() > 17);
    // two images, placed by the prompt's own placeholders
    LladaCliTest.Result two =
        LladaCliTest.run(
            "",
            "generate",
            "--model",
            vision.toString(),
            "--prompt",
            "<image> left, <image> right:",
            "--image",
            png.toString(),
            "--image",
            png.toString(),
            "--gen-length",
            "2",
            "--steps",
            "2");
    assertEquals(0, two.code(), two.err());
    // a text-only prompt on a vision model runs its language model
    LladaCliTest.Result text =
        LladaCliTest.run(
            "",
            "generate",
            "--model",
            vision.toString(),
            "--prompt",
            "ab",
            "--gen-length",
            "2",
            "--steps",
            "2");
    assertEquals(0, text.code(), text.err());
  }

  @Test
  void evalVisionScoresEveryCategoryOfTheHeldOutSuite() {
    LladaCliTest.Result r =
        LladaCliTest.run("", "eval-vision", "--model", vision.toString(), "--n", "2", "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(5, o.getAsJsonArray("categories").size());
    assertTrue(o.get("mix").getAsDouble() >= 0);
  }

  @Test
  void badImagesAndMismatchesAreOneLineAndExitTwo() throws Exception {
    String v = vision.toString();
    fails(
        2,
        "is not a LLaDA-V model",
        "generate",
        "--model",
        model.toString(),
        "--prompt",
        "x",
        "--image",
        png.toString());
    fails(
        2,
        "does not exist",
        "generate",
        "--model",
        v,
        "--prompt",
        "x",
        "--image",
        temp.resolve("nowhere.png").toString());
    Path text = temp.resolve("notes.png");
    Files.writeString(text, "not an image at all");
    fails(
        2,
        "not a PNG or JPEG image",
        "generate",
        "--model",
        v,
        "--prompt",
        "x",
        "--image",
        text.toString());
    Path truncated = temp.resolve("truncated.png");
    byte[] bytes = Files.readAllBytes(png);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, 40));
    LladaCliTest.Result cut =
        LladaCliTest.run(
            "", "generate", "--model", v, "--prompt", "x", "--image", truncated.toString());
    assertEquals(2, cut.code(), cut.err());
    fails(
        2,
        "2 <image> placeholders but 1 image was given",
        "generate",
        "--model",
        v,
        "--prompt",
        "<image> and <image>",
        "--image",
        png.toString());
    fails(2, "no --image was given", "generate", "--model", v, "--prompt", "<image> what?");
    fails(
        2,
        "--image goes with exactly one --prompt",
        "generate",
        "--model",
        v,
        "--prompt",
        "a",
        "--prompt",
        "b",
        "--image",
        png.toString());
    fails(
        2,
        "--cfg-scale with images is not supported",
        "generate",
        "--model",
        v,
        "--prompt",
        "a",
        "--image",
        png.toString(),
        "--cfg-scale",
        "1");
    fails(3, "llava_llada", "eval-vision", "--model", model.toString(), "--n", "1");
    fails(2, "unknown category 'size'", "eval-vision", "--model", v, "--categories", "size");
  }

  private static void fails(int code, String message, String... args) {
    LladaCliTest.Result r = LladaCliTest.run("", args);
    assertEquals(code, r.code(), r.out() + r.err());
    assertTrue(r.err().contains(message), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }
}

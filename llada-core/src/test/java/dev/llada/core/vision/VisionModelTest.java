package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFamily;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.DjlMaskPredictorTest;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.model.OracleForward;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LLaDA-V's published layout (docs/research/llada-v-layout.md): a tiny random model written with
 * the LLaMA-style LM names, the tower, projector and image newline, sharded, loads and predicts
 * what the float64 oracle of the same LM computes on the same spliced embeddings; every mismatch of
 * names, shapes and config keys is refused with the tensor or key named.
 */
class VisionModelTest {

  @TempDir Path temp;

  static final VisionConfig TOWER = new VisionConfig(16, 24, 3, 2, 8, 32, 1e-6, -2);

  /** A V model written from a random LLaDA-named LM at {@code lm}; returns the V directory. */
  private Path writeVisionModel(Path lm, LladaConfig c, String name, long maxShard)
      throws Exception {
    Path v = temp.resolve(name);
    try (LladaNetwork network = LladaNetwork.load(lm, Device.cpu(), false);
        NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      VisionTower tower = VisionTower.initialize(TOWER, c.dModel(), true, m, 3);
      VisionModelFiles.write(
          v,
          new VisionModelConfig(c.withFamily(ModelFamily.LLAVA_LLADA), TOWER, true, "test/siglip"),
          network,
          tower,
          PreprocessorConfig.siglip(32));
    }
    if (maxShard > 0) {
      List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
      try (Checkpoint single = Checkpoint.open(v)) {
        for (String n : single.names()) {
          tensors.add(
              new SafetensorsWriter.Tensor(
                  n, single.info(n).shape(), single.readFloats(n), DType.F32));
        }
      }
      Files.delete(v.resolve(Checkpoint.SINGLE_FILE));
      SafetensorsWriter.writeSharded(v, tensors, maxShard);
    }
    return v;
  }

  static BufferedImage randomImage(Random random, int w, int h) {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    return image;
  }

  @Test
  void thePublishedLayoutLoadsFromShardsAndSplicesEachImageAtItsPlaceholder() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 40, 61);
    Path lm = TinyModels.write(temp.resolve("lm"), c, 7, DType.F32, 0);
    Path v = writeVisionModel(lm, c, "v", 60_000);
    assertTrue(Files.isRegularFile(v.resolve(Checkpoint.INDEX_FILE)), "sharded");
    try (Checkpoint checkpoint = Checkpoint.open(v)) {
      assertTrue(checkpoint.fileNames().size() > 1, "more than one shard");
      for (String published :
          List.of(
              "model.embed_tokens.weight",
              "model.layers.1.self_attn.o_proj.weight",
              "model.layers.0.mlp.gate_proj.weight",
              "model.layers.0.post_attention_layernorm.weight",
              "lm_head.weight",
              "model.vision_tower.vision_tower.vision_model.embeddings.patch_embedding.weight",
              "model.vision_tower.vision_tower.vision_model.encoder.layers.1.mlp.fc2.bias",
              "model.mm_projector.0.weight",
              "model.mm_projector.2.bias",
              "model.image_newline")) {
        assertTrue(checkpoint.contains(published), published);
      }
      // features from layer −2 of 3: layers 0 and 1 only
      assertFalse(
          checkpoint.contains(
              "model.vision_tower.vision_tower.vision_model.encoder.layers.2.mlp.fc1.weight"));
    }
    Random random = new Random(5);
    int per = TOWER.patches() + 1; // 16 patches + the newline
    assertEquals(17, per);
    // row 0: one image at 2; row 1: two images, at 0 and at 20
    int t = 40;
    int[][] tokens = DjlMaskPredictorTest.randomTokens(random, 2, t, c.vocabSize() - 2);
    List<ImagePrompt> prompts =
        List.of(
            new ImagePrompt(tokens[0], new int[] {2}, per),
            new ImagePrompt(tokens[1], new int[] {0, 20}, per));
    List<List<BufferedImage>> images =
        List.of(
            List.of(randomImage(random, 32, 32)),
            List.of(randomImage(random, 32, 32), randomImage(random, 24, 32)));
    DjlMaskPredictor.inferenceOnThisThread();
    try (VisionModel model = VisionModel.load(v, "cpu")) {
      assertEquals(per, model.tokensPerImage());
      // the expected embeddings: the loaded tower's rows, checked against the written tower's
      double[][][] embeds = new double[2][t][];
      try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
        int k = 0;
        for (int r = 0; r < 2; r++) {
          for (int i = 0; i < images.get(r).size(); i++) {
            float[] pixels = model.pixels(images.get(r).get(i));
            NDArray rows = model.tower().imageTokens(m.create(pixels, new Shape(1, 3, 32, 32)));
            float[] f = rows.toFloatArray();
            for (int p = 0; p < per; p++) {
              double[] row = new double[c.dModel()];
              for (int j = 0; j < row.length; j++) {
                row[j] = f[p * c.dModel() + j];
              }
              embeds[r][prompts.get(r).imageStarts()[i] + p] = row;
            }
            k++;
          }
        }
        assertEquals(3, k);
      }
      double[][][] want;
      try (Checkpoint checkpoint = Checkpoint.open(lm)) {
        want = new OracleForward(c, checkpoint).logitsWithEmbeddings(tokens, null, embeds);
      }
      try (VisionModel.Prepared prepared = model.prepare(prompts, images, new int[] {0, 0})) {
        DjlMaskPredictorTest.assertClose(
            want, prepared.predictor().logits(tokens, null, 0, t), 0, "spliced V model");
      }
      // the text-only view is the LM alone: the oracle without images
      double[][][] plain;
      try (Checkpoint checkpoint = Checkpoint.open(lm)) {
        plain =
            new OracleForward(c, checkpoint).logitsWithEmbeddings(tokens, null, new double[2][t][]);
      }
      DjlMaskPredictorTest.assertClose(
          plain, model.predictor().logits(tokens, null, 0, t), 0, "text only");
      // a row with another number of images than placeholders
      ImageInputException e =
          assertThrows(
              ImageInputException.class,
              () -> model.prepare(prompts, List.of(images.get(0), images.get(0)), new int[2]));
      assertEquals("image_count_mismatch", e.code());
    }
  }

  @Test
  void theImagesOfARowFollowItsLeftPadding() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 40, 61);
    Path lm = TinyModels.write(temp.resolve("lm"), c, 8, DType.F32, 0);
    Path v = writeVisionModel(lm, c, "v", 0);
    Random random = new Random(6);
    int per = TOWER.patches() + 1;
    int[] ids = DjlMaskPredictorTest.randomTokens(random, 1, 24, 59)[0];
    BufferedImage image = randomImage(random, 32, 32);
    ImagePrompt prompt = new ImagePrompt(ids, new int[] {3}, per);
    int pad = 5;
    int[][] padded = new int[1][pad + ids.length];
    boolean[][] attention = new boolean[1][pad + ids.length];
    for (int i = 0; i < padded[0].length; i++) {
      padded[0][i] = i < pad ? c.padTokenId() : ids[i - pad];
      attention[0][i] = i >= pad;
    }
    DjlMaskPredictor.inferenceOnThisThread();
    try (VisionModel model = VisionModel.load(v, "cpu");
        VisionModel.Prepared plain =
            model.prepare(List.of(prompt), List.of(List.of(image)), new int[] {0});
        VisionModel.Prepared shifted =
            model.prepare(List.of(prompt), List.of(List.of(image)), new int[] {pad})) {
      var a = plain.predictor().logits(new int[][] {ids}, null, 0, ids.length);
      var b = shifted.predictor().logits(padded, attention, pad, padded[0].length);
      double maxErr = 0;
      double maxAbs = 0;
      for (int p = 0; p < ids.length; p++) {
        for (int x = 0; x < a.vocab(); x++) {
          maxAbs = Math.max(maxAbs, Math.abs(a.get(0, p, x)));
          maxErr = Math.max(maxErr, Math.abs(a.get(0, p, x) - b.get(0, p, x)));
        }
      }
      a.close();
      b.close();
      assertTrue(maxErr / maxAbs < 1e-4, "left padding moves the image with its row: " + maxErr);
    }
  }

  @Test
  void aMismatchOfNamesShapesOrKeysIsRefusedWithWhatIsWrong() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 40, 61);
    Path lm = TinyModels.write(temp.resolve("lm"), c, 9, DType.F32, 0);
    Path v = writeVisionModel(lm, c, "v", 0);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    try (Checkpoint single = Checkpoint.open(v)) {
      for (String n : single.names()) {
        tensors.add(
            new SafetensorsWriter.Tensor(
                n, single.info(n).shape(), single.readFloats(n), DType.F32));
      }
    }
    // an extra tensor the config does not imply
    List<SafetensorsWriter.Tensor> extra = new ArrayList<>(tensors);
    extra.add(
        new SafetensorsWriter.Tensor(
            "model.stray.weight", new long[] {2}, new float[2], DType.F32));
    Path bad = copyWith(v, "extra", extra);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> VisionModel.load(bad, "cpu"));
    assertTrue(e.getMessage().contains("unexpected tensor model.stray.weight"), e.getMessage());
    // the released tower's unused post-layernorm is allowed
    List<SafetensorsWriter.Tensor> post = new ArrayList<>(tensors);
    for (String n : List.of("weight", "bias")) {
      post.add(
          new SafetensorsWriter.Tensor(
              VisionTower.TOWER + "post_layernorm." + n,
              new long[] {16},
              new float[16],
              DType.F32));
    }
    VisionModel.load(copyWith(v, "post", post), "cpu").close();
    // a missing projector tensor
    List<SafetensorsWriter.Tensor> missing = new ArrayList<>(tensors);
    missing.removeIf(t -> t.name().equals("model.mm_projector.2.weight"));
    Path noProjector = copyWith(v, "missing", missing);
    e = assertThrows(ModelFormatException.class, () -> VisionModel.load(noProjector, "cpu"));
    assertTrue(e.getMessage().contains("missing model.mm_projector.2.weight"), e.getMessage());
    // a tower tensor of the wrong shape
    List<SafetensorsWriter.Tensor> shaped = new ArrayList<>(tensors);
    shaped.replaceAll(
        t ->
            t.name().equals(VisionTower.TOWER + "embeddings.position_embedding.weight")
                ? new SafetensorsWriter.Tensor(
                    t.name(), new long[] {15, 16}, new float[240], DType.F32)
                : t);
    Path wrongShape = copyWith(v, "shape", shaped);
    e = assertThrows(ModelFormatException.class, () -> VisionModel.load(wrongShape, "cpu"));
    assertTrue(
        e.getMessage().contains("position_embedding.weight has shape [15, 16]"), e.getMessage());
    // config keys whose other values would change the computation
    for (Map.Entry<String, String> k :
        Map.of(
                "image_aspect_ratio", "\"anyres_max_4\"",
                "mm_projector_type", "\"linear\"",
                "mm_use_im_start_end", "true",
                "mm_resampler_type", "\"spatial_pool\"",
                "tie_word_embeddings", "true")
            .entrySet()) {
      Path keyed = copyWith(v, "key-" + k.getKey(), tensors);
      JsonObject json =
          JsonParser.parseString(Files.readString(keyed.resolve("config.json"))).getAsJsonObject();
      json.add(k.getKey(), JsonParser.parseString(k.getValue()));
      Files.writeString(keyed.resolve("config.json"), json.toString(), StandardCharsets.UTF_8);
      e =
          assertThrows(
              ModelFormatException.class, () -> VisionModel.load(keyed, "cpu"), k.getKey());
      assertTrue(e.getMessage().contains(k.getKey()), e.getMessage());
    }
  }

  @Test
  void configRoundTripsAndTheReleasedTowerIsKnownByName() {
    LladaConfig c = TinyModels.config(32, 4, 4, 2, 40, 61).withFamily(ModelFamily.LLAVA_LLADA);
    VisionModelConfig vc = new VisionModelConfig(c, TOWER, true, "test/siglip");
    assertEquals(vc, VisionModelConfig.fromJson(vc.toJson()));
    JsonObject released = vc.toJson();
    released.remove("vision_config");
    released.remove("mm_hidden_size");
    released.addProperty("mm_vision_tower", "google/siglip2-so400m-patch14-384");
    VisionModelConfig r = VisionModelConfig.fromJson(released);
    assertEquals(VisionModelConfig.so400m(-2), r.vision());
    assertEquals(26, r.vision().layersRun()); // the released checkpoint's 26 layers
    assertEquals(729, r.vision().patches());
    released.addProperty("mm_vision_tower", "openai/clip-vit-large");
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> VisionModelConfig.fromJson(released));
    assertTrue(e.getMessage().contains("vision_config"), e.getMessage());
    String pretty = new GsonBuilder().create().toJson(vc.toJson());
    assertTrue(pretty.contains("\"model_type\":\"llava_llada\""), pretty);
    assertTrue(pretty.contains("\"mm_patch_merge_type\":\"spatial_unpad\""), pretty);
  }

  private Path copyWith(Path from, String name, List<SafetensorsWriter.Tensor> tensors)
      throws Exception {
    Path to = temp.resolve(name);
    Files.createDirectories(to);
    Files.copy(from.resolve("config.json"), to.resolve("config.json"));
    Files.copy(from.resolve("preprocessor_config.json"), to.resolve("preprocessor_config.json"));
    SafetensorsWriter.write(to.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
    return to;
  }
}

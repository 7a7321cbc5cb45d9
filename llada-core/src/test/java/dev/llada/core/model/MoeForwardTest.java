package dev.llada.core.model;

import static dev.llada.core.model.DjlMaskPredictorTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.config.MoeSpec;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LLaDA-MoE (issue #19): the expert-grouped dispatch against the compute-every-expert oracle, the
 * published checkpoint layout (sharded, BF16) against the float64 oracle through both forwards, the
 * router's semantics (no renormalisation by default, the score bias), and the refusals.
 */
class MoeForwardTest {

  @TempDir Path temp;

  @Test
  void groupedDispatchEqualsEveryExpertOnRandomInputs() {
    Random random = new Random(19);
    int[][] shapes = { // d, ff, experts, topK, tokens
      {16, 24, 4, 1, 7},
      {32, 16, 8, 2, 64},
      {24, 40, 8, 3, 33},
      {64, 32, 16, 4, 200},
      {16, 8, 2, 2, 5}
    };
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
      for (int[] s : shapes) {
        for (boolean norm : new boolean[] {false, true}) {
          for (boolean bias : new boolean[] {false, true}) {
            int d = s[0];
            int ff = s[1];
            int e = s[2];
            MoeSpec spec = new MoeSpec(e, s[3], ff, norm, bias, 0.01, 0.001);
            Block.RoutedExperts r =
                new Block.RoutedExperts(
                    normal(m, random, 1.0 / Math.sqrt(d), e, d),
                    normal(m, random, 1.0 / Math.sqrt(d), e, 2 * ff, d),
                    normal(m, random, 1.0 / Math.sqrt(ff), e, d, ff),
                    bias ? normal(m, random, 0.05, e) : null,
                    spec);
            NDArray x = normal(m, random, 1.0, s[4], d);
            float[] fast = ExpertDispatch.grouped(x, r, null).toFloatArray();
            float[] oracle = ExpertDispatch.everyExpert(x, r).toFloatArray();
            double maxAbs = 0;
            double maxErr = 0;
            for (int i = 0; i < oracle.length; i++) {
              maxAbs = Math.max(maxAbs, Math.abs(oracle[i]));
              maxErr = Math.max(maxErr, Math.abs(fast[i] - oracle[i]));
            }
            String what = java.util.Arrays.toString(s) + " norm " + norm + " bias " + bias;
            assertTrue(maxAbs > 0.01, what + ": outputs suspiciously small");
            assertTrue(maxErr / maxAbs <= 1e-5, what + ": max rel. error " + maxErr / maxAbs);
          }
        }
      }
    }
  }

  @Test
  void publishedLayoutShardedBf16MatchesTheFloat64OracleThroughBothForwards() throws Exception {
    Random random = new Random(7);
    LladaConfig[] configs = {
      TinyModels.moeConfig(32, 4, 4, 2, 24, 41, 8, 2, false, false),
      TinyModels.moeConfig(24, 4, 2, 2, 16, 37, 4, 3, false, true), // grouped-query, score bias
      TinyModels.moeConfig(16, 2, 2, 1, 8, 29, 6, 1, true, false), // renormalised top-1
    };
    int n = 0;
    for (LladaConfig c : configs) {
      Path dir =
          TinyModels.write(temp.resolve("moe" + n++), c, random.nextLong(), DType.BF16, 4096);
      assertTrue(Files.exists(dir.resolve(Checkpoint.INDEX_FILE)), "sharded");
      String config = Files.readString(dir.resolve("config.json"), StandardCharsets.UTF_8);
      assertTrue(config.contains("\"model_type\": \"lladamoe\""), config);
      assertEquals(c, LladaConfig.read(dir), "config.json round trip");
      try (Checkpoint checkpoint = Checkpoint.open(dir)) {
        assertTrue(checkpoint.contains("model.layers.0.mlp.experts.0.gate_proj.weight"));
        assertTrue(checkpoint.contains("model.layers.0.self_attn.q_norm.weight"));
      }
      int b = 2;
      int t = 4 + random.nextInt(9);
      int[][] tokens = DjlMaskPredictorTest.randomTokens(random, b, t, c.vocabSize());
      try (DjlMaskPredictor djl = DjlMaskPredictor.load(dir, "cpu");
          Checkpoint checkpoint = Checkpoint.open(dir)) {
        double[][][] expected = new OracleForward(c, checkpoint).logits(tokens, null);
        assertClose(
            expected,
            djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, null, 0, t),
            0,
            "torchscript " + c);
        assertClose(
            expected, djl.using(DjlMaskPredictor.Path.OPS).logits(tokens, null, 0, t), 0, "ops");
        assertClose(
            expected,
            djl.using(DjlMaskPredictor.Path.TORCHSCRIPT).logits(tokens, null, 1, t - 1),
            1,
            "window");
      }
    }
  }

  @Test
  void theWholeNetworkGroupedEqualsEveryExpertAndSoDoItsGradients() {
    LladaConfig c = TinyModels.moeConfig(32, 4, 4, 2, 16, 41, 8, 2, false, false);
    long[] ids = new long[2 * 11];
    Random random = new Random(11);
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(c.vocabSize());
    }
    float[][] logits = new float[2][];
    float[][] grads = new float[2][];
    for (int mode = 0; mode < 2; mode++) {
      try (LladaNetwork network = LladaNetwork.initialize(c, Device.cpu(), 3);
          NDManager m = network.manager().newSubManager();
          ai.djl.training.GradientCollector gc =
              Engine.getEngine("PyTorch").newGradientCollector()) {
        network.everyExpertDispatch(mode == 1);
        network.parameters().values().forEach(p -> p.setRequiresGradient(true));
        NDArray out = network.forward(m.create(ids, new Shape(2, 11)), null, 0, 11);
        logits[mode] = out.toFloatArray();
        gc.backward(out.square().sum());
        grads[mode] =
            network.parameters().get(Architecture.Moe.gateUpName(1)).getGradient().toFloatArray();
      }
    }
    for (float[][] pair : new float[][][] {logits, grads}) {
      double maxAbs = 0;
      double maxErr = 0;
      for (int i = 0; i < pair[0].length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(pair[1][i]));
        maxErr = Math.max(maxErr, Math.abs(pair[0][i] - pair[1][i]));
      }
      assertTrue(maxAbs > 0, "non-trivial values");
      assertTrue(maxErr / maxAbs <= 1e-5, "max rel. error " + maxErr / maxAbs);
    }
  }

  @Test
  void topKWeightsAreNotRenormalisedByDefault() throws Exception {
    LladaConfig plain = TinyModels.moeConfig(32, 4, 4, 1, 16, 31, 8, 2, false, false);
    assertEquals(
        false,
        LladaConfig.fromJson(
                JsonParser.parseString(
                        plain.toJson().toString().replace(",\"norm_topk_prob\":false", ""))
                    .getAsJsonObject())
            .moe()
            .normTopKProb(),
        "a config without norm_topk_prob does not renormalise");
    Path dir = TinyModels.write(temp.resolve("plain"), plain, 5, DType.F32, 0);
    // the same weights read with renormalisation: the logits must differ
    LladaConfig renormalised = TinyModels.moeConfig(32, 4, 4, 1, 16, 31, 8, 2, true, false);
    Path other = temp.resolve("renormalised");
    Files.createDirectories(other);
    Files.copy(dir.resolve("model.safetensors"), other.resolve("model.safetensors"));
    Files.writeString(other.resolve("config.json"), renormalised.toJson().toString());
    int[][] tokens = DjlMaskPredictorTest.randomTokens(new Random(3), 1, 9, plain.vocabSize());
    try (DjlMaskPredictor a = DjlMaskPredictor.load(dir, "cpu");
        DjlMaskPredictor bNorm = DjlMaskPredictor.load(other, "cpu");
        Checkpoint checkpoint = Checkpoint.open(dir);
        Logits la = a.logits(tokens, null, 0, 9);
        Logits lb = bNorm.logits(tokens, null, 0, 9)) {
      double diff = 0;
      for (int p = 0; p < 9; p++) {
        for (int v = 0; v < plain.vocabSize(); v++) {
          diff = Math.max(diff, Math.abs(la.get(0, p, v) - lb.get(0, p, v)));
        }
      }
      assertTrue(diff > 1e-3, "renormalising the top-k weights changes the logits: " + diff);
      // and the unrenormalised logits are the oracle's (which sums w_k · Expert_k, w = softmax)
      assertClose(
          new OracleForward(plain, checkpoint).logits(tokens, null),
          a.logits(tokens, null, 0, 9),
          0,
          "plain");
    }
  }

  @Test
  void badCheckpointsFailNamingTheTensor() throws Exception {
    LladaConfig c = TinyModels.moeConfig(16, 2, 2, 2, 8, 29, 4, 2, false, false);
    List<SafetensorsWriter.Tensor> weights = TinyModels.randomWeights(c, 1, DType.F32);
    Path missing = temp.resolve("missing");
    Files.createDirectories(missing);
    Files.writeString(missing.resolve("config.json"), c.toJson().toString());
    SafetensorsWriter.write(
        missing.resolve("model.safetensors"),
        weights.stream()
            .filter(t -> !t.name().equals("model.layers.1.mlp.experts.3.up_proj.weight"))
            .toList(),
        Map.of("format", "pt"));
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> DjlMaskPredictor.load(missing, "cpu"));
    assertTrue(
        e.getMessage().contains("missing model.layers.1.mlp.experts.3.up_proj.weight"),
        e.getMessage());
    Path wrong = temp.resolve("wrong");
    Files.createDirectories(wrong);
    Files.writeString(wrong.resolve("config.json"), c.toJson().toString());
    SafetensorsWriter.write(
        wrong.resolve("model.safetensors"),
        weights.stream()
            .map(
                t ->
                    t.name().equals("model.layers.0.mlp.gate.weight")
                        ? new SafetensorsWriter.Tensor(
                            t.name(), new long[] {5, 16}, new float[80], DType.F32)
                        : t)
            .toList(),
        Map.of("format", "pt"));
    e = assertThrows(ModelFormatException.class, () -> DjlMaskPredictor.load(wrong, "cpu"));
    assertTrue(
        e.getMessage().contains("model.layers.0.mlp.gate.weight has shape [5, 16]"),
        e.getMessage());
  }

  @Test
  void theReleasedConfigShapeIsReadAndMathChangingKeysAreRefused() {
    String released =
        """
        {"model_type": "llada", "hidden_size": 2048, "num_attention_heads": 16,
         "num_key_value_heads": 16, "num_hidden_layers": 16, "vocab_size": 157184,
         "num_experts": 64, "num_experts_per_tok": 8, "expert_intermediate_size": 1024,
         "moe_layer_freq": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1], "dense_intermediate_size": 8192,
         "shared_expert_intermediate_size": null, "qk_layernorm": true, "rope_theta": 50000,
         "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "router_aux_loss_coef": 0.01,
         "moe_router_enable_expert_bias": false, "routed_scaling_factor": 1,
         "tie_word_embeddings": false, "attention_bias": false, "hidden_act": "silu"}
        """;
    LladaConfig c = LladaConfig.fromJson(JsonParser.parseString(released).getAsJsonObject());
    assertEquals(64, c.moe().experts());
    assertEquals(8, c.moe().topK());
    assertEquals(156895, c.maskTokenId());
    assertEquals(156892, c.eosTokenId());
    assertTrue(c.qkNorm());
    assertTrue(!c.moe().normTopKProb());
    // 7B total, about 1.4B active (llada-spec §7.1)
    assertTrue(c.parameterCount() > 6.9e9 && c.parameterCount() < 7.5e9, "" + c.parameterCount());
    assertTrue(
        c.activeParameterCount() > 1.2e9 && c.activeParameterCount() < 1.6e9,
        "" + c.activeParameterCount());
    String[][] refused = {
      {"\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true", "tie_word_embeddings"},
      {"\"routed_scaling_factor\": 1", "\"clip_qkv\": 8, \"routed_scaling_factor\": 1", "clip_qkv"},
      {"\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act"},
      {
        "\"shared_expert_intermediate_size\": null",
        "\"shared_expert_intermediate_size\": 512",
        "shared_expert_intermediate_size"
      },
      {"[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "[0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]", "moe_layer_freq"},
      {"\"num_experts_per_tok\": 8", "\"num_experts_per_tok\": 65", "num_experts_per_tok"},
    };
    for (String[] r : refused) {
      String bad = released.replace(r[0], r[1]);
      ModelFormatException e =
          assertThrows(
              ModelFormatException.class,
              () -> LladaConfig.fromJson(JsonParser.parseString(bad).getAsJsonObject()),
              r[1]);
      assertTrue(e.getMessage().contains(r[2]), e.getMessage());
    }
  }

  private static NDArray normal(NDManager m, Random random, double std, long... shape) {
    int n = 1;
    for (long s : shape) {
      n *= (int) s;
    }
    float[] data = new float[n];
    for (int i = 0; i < n; i++) {
      data[i] = (float) (std * random.nextGaussian());
    }
    return m.create(data, new Shape(shape));
  }
}

package dev.llada.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LladaConfigTest {

  /** LLaDA-8B-Instruct's config.json keys (llada-spec §1.1). */
  static final String LLADA_8B =
      """
      {"model_type": "llada", "architectures": ["LLaDAModelLM"], "d_model": 4096, "n_heads": 32,
       "n_kv_heads": 32, "n_layers": 32, "mlp_hidden_size": 12288, "mlp_ratio": 4,
       "vocab_size": 126464, "embedding_size": 126464, "max_sequence_length": 4096, "rope": true,
       "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "eos_token_id": 126081, "pad_token_id": 126081,
       "mask_token_id": 126336, "weight_tying": false, "use_cache": false}
      """;

  @TempDir Path temp;

  @Test
  void readsLlada8bAndCountsItsParameters() throws Exception {
    Files.writeString(temp.resolve("config.json"), LLADA_8B);
    LladaConfig c = LladaConfig.read(temp);
    assertEquals(4096, c.dModel());
    assertEquals(128, c.headDim());
    assertEquals(500000.0, c.ropeTheta());
    assertEquals(126336, c.maskTokenId());
    assertEquals(126081, c.eosTokenId());
    assertEquals(8_015_581_184L, c.parameterCount(), "llada-spec §1.4 parameter count");
  }

  @Test
  void specialIdsComeFromTheFileNotFromLiterals() {
    JsonObject json = JsonParser.parseString(LLADA_8B).getAsJsonObject();
    json.addProperty("vocab_size", 100);
    json.addProperty("embedding_size", 100);
    json.addProperty("mask_token_id", 99);
    json.addProperty("eos_token_id", 98);
    json.remove("pad_token_id");
    LladaConfig c = LladaConfig.fromJson(json);
    assertEquals(99, c.maskTokenId());
    assertEquals(98, c.padTokenId(), "pad defaults to eos");
    assertEquals(c, LladaConfig.fromJson(c.toJson()), "round trip");
  }

  @Test
  void impossibleConfigsFailWithTheReason() {
    assertMessage(
        "d_model (4096) must be divisible by n_heads (30)",
        json -> json.addProperty("n_heads", 30));
    assertMessage("must be a multiple of n_kv_heads", json -> json.addProperty("n_kv_heads", 5));
    assertMessage(
        "model_type must be \"llada\" (dense LLaDA), \"lladamoe\" (LLaDA-MoE) or \"llava_llada\"",
        json -> json.addProperty("model_type", "gpt2"));
    assertMessage("config.json has no \"d_model\"", json -> json.remove("d_model"));
    assertMessage("\"n_layers\" must be an integer", json -> json.addProperty("n_layers", "many"));
    assertMessage("outside the embedding", json -> json.addProperty("mask_token_id", 200000));
    assertMessage(
        "mask_token_id must differ from pad_token_id",
        json -> json.addProperty("pad_token_id", json.get("mask_token_id").getAsInt()));
  }

  @Test
  void keysThatWouldChangeTheMathAreRefusedNotIgnored() {
    Object[][] refused = {
      {"weight_tying", true},
      {"scale_logits", true},
      {"input_emb_norm", true},
      {"alibi", true},
      {"rope", false},
      {"include_bias", true},
      {"attention_layer_norm", true},
      {"activation_type", "gelu"},
      {"activation_type", "swiglu"},
      {"layer_norm_type", "default"},
      {"block_type", "sequential"},
      {"clip_qkv", 8.0},
      {"include_qkv_bias", true},
      {"layer_norm_with_affine", false},
      {"multi_query_attention", true},
    };
    for (Object[] r : refused) {
      String key = (String) r[0];
      assertMessage(
          "\"" + key + "\"",
          json -> {
            if (r[1] instanceof Boolean b) {
              json.addProperty(key, b);
            } else if (r[1] instanceof Number n) {
              json.addProperty(key, n);
            } else {
              json.addProperty(key, (String) r[1]);
            }
          });
    }
    // the supported values are read as before
    JsonObject ok = JsonParser.parseString(LLADA_8B).getAsJsonObject();
    ok.addProperty("activation_type", "silu");
    ok.addProperty("weight_tying", false);
    assertEquals(
        LladaConfig.fromJson(JsonParser.parseString(LLADA_8B).getAsJsonObject()),
        LladaConfig.fromJson(ok));
  }

  /** LLaDA-V's LM config (llada-v-layout.md §2a): LLaMA keys, read and refused alike. */
  static final String LLADA_V_LM =
      """
      {"model_type": "llava_llada", "architectures": ["LlavaLLaDAModelLM"], "hidden_size": 4096,
       "intermediate_size": 12288, "num_hidden_layers": 32, "num_attention_heads": 32,
       "num_key_value_heads": 32, "hidden_act": "silu", "rms_norm_eps": 1e-05,
       "rope_theta": 500000.0, "rope_scaling": null, "max_position_embeddings": 16384,
       "vocab_size": 126464, "attention_bias": false, "attention_dropout": 0.0,
       "tie_word_embeddings": false, "pretraining_tp": 1, "bos_token_id": 128000,
       "eos_token_id": 126081, "torch_dtype": "bfloat16", "mm_projector_type": "mlp2x_gelu"}
      """;

  @Test
  void lladaVsLanguageModelIsLlada8bUnderLlamaKeysAndNames() {
    LladaConfig v = LladaConfig.fromJson(JsonParser.parseString(LLADA_V_LM).getAsJsonObject());
    assertEquals(ModelFamily.LLAVA_LLADA, v.family());
    LladaConfig dense = LladaConfig.fromJson(JsonParser.parseString(LLADA_8B).getAsJsonObject());
    assertEquals(dense.parameterCount(), v.parameterCount(), "the same network");
    assertEquals(126336, v.maskTokenId());
    assertEquals(v, LladaConfig.fromJson(v.toJson()));
    // rename_checkpoint.py's names, one per LLaDA tensor, values unchanged
    java.util.Map<String, long[]> names = dev.llada.core.model.LladaNetwork.checkpointShapes(v);
    assertTrue(
        names.containsKey("model.layers.31.self_attn.o_proj.weight"), names.keySet().toString());
    assertTrue(names.containsKey("model.layers.0.mlp.down_proj.weight"));
    assertTrue(names.containsKey("model.layers.0.post_attention_layernorm.weight"));
    assertTrue(names.containsKey("lm_head.weight"));
    assertEquals(291, names.size()); // 288 layer tensors + embed, norm, head (§1a)
    assertEquals(
        "model.layers.7.mlp.gate_proj.weight",
        dev.llada.core.model.LladaNames.llamaStyle("model.transformer.blocks.7.ff_proj.weight"));
    for (Object[] r :
        new Object[][] {
          {"tie_word_embeddings", true},
          {"attention_bias", true},
          {"mlp_bias", true},
          {"hidden_act", "gelu"},
          {"pretraining_tp", 2},
        }) {
      JsonObject json = JsonParser.parseString(LLADA_V_LM).getAsJsonObject();
      if (r[1] instanceof Boolean b) {
        json.addProperty((String) r[0], b);
      } else if (r[1] instanceof Number n) {
        json.addProperty((String) r[0], n);
      } else {
        json.addProperty((String) r[0], (String) r[1]);
      }
      ModelFormatException e =
          assertThrows(ModelFormatException.class, () -> LladaConfig.fromJson(json));
      assertTrue(e.getMessage().contains("\"" + r[0] + "\""), e.getMessage());
    }
    JsonObject scaled = JsonParser.parseString(LLADA_V_LM).getAsJsonObject();
    scaled.add("rope_scaling", JsonParser.parseString("{\"type\": \"linear\", \"factor\": 2}"));
    assertThrows(ModelFormatException.class, () -> LladaConfig.fromJson(scaled));
  }

  @Test
  void missingOrBrokenFilesAreNamed() throws Exception {
    ModelFormatException missing =
        assertThrows(ModelFormatException.class, () -> LladaConfig.read(temp));
    assertTrue(missing.getMessage().contains("config.json is missing"), missing.getMessage());
    Files.writeString(temp.resolve("config.json"), "{not json");
    ModelFormatException broken =
        assertThrows(ModelFormatException.class, () -> LladaConfig.read(temp));
    assertTrue(broken.getMessage().contains("config.json"), broken.getMessage());
  }

  private static void assertMessage(String expected, java.util.function.Consumer<JsonObject> edit) {
    JsonObject json = JsonParser.parseString(LLADA_8B).getAsJsonObject();
    edit.accept(json);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> LladaConfig.fromJson(json));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}

package dev.llada.core.config;

import static dev.llada.core.config.LladaConfig.integer;
import static dev.llada.core.config.LladaConfig.number;
import static dev.llada.core.config.LladaConfig.require;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.List;

/**
 * An architecture family as data: the {@code config.json} keys it reads, the keys it refuses
 * because they would change the math this project computes (never ignored), and the config it
 * writes. The family's parameter names and block are {@code dev.llada.core.model}'s ({@code
 * Architecture}).
 */
public enum ModelFamily {

  /** Dense LLaDA (LLaDA-8B, 1.5; llada-spec §1.1): OLMo-style keys. */
  LLADA("llada", "LLaDAModelLM") {
    @Override
    LladaConfig read(JsonObject json) {
      // keys whose other values would change the forward: refused, never ignored
      refuse(json, "weight_tying", false, "the LM head would be the embedding (LLaDA's is untied)");
      refuse(json, "scale_logits", false, "logits would be scaled by 1/sqrt(d_model)");
      refuse(json, "input_emb_norm", false, "the embeddings would be normalised");
      refuse(json, "alibi", false, "ALiBi biases would replace RoPE");
      refuse(json, "rope", true, "positions would not be rotated (RoPE is LLaDA's only position)");
      refuse(json, "include_bias", false, "every projection would carry a bias");
      refuse(json, "include_qkv_bias", false, "the q, k and v projections would carry a bias");
      refuse(json, "layer_norm_with_affine", true, "the norms would have no weight");
      refuse(
          json, "multi_query_attention", false, "one key/value head would serve every query head");
      refuse(json, "attention_layer_norm", false, "queries and keys would be normalised");
      refuseUnlessNull(json, "clip_qkv", "queries, keys and values would be clipped");
      // OLMo's "swiglu" halves its input's width: not the llama block's SiLU(gate) ⊙ up
      oneOf(json, "activation_type", List.of("silu"), "silu");
      oneOf(json, "layer_norm_type", List.of("rms"), "rms");
      oneOf(json, "block_type", List.of("llama"), "llama");
      int dModel = integer(json, "d_model", null);
      int nHeads = integer(json, "n_heads", null);
      int vocab = integer(json, "vocab_size", null);
      Integer mlp =
          json.has("mlp_hidden_size") && !json.get("mlp_hidden_size").isJsonNull()
              ? integer(json, "mlp_hidden_size", null)
              : null;
      if (mlp == null) {
        mlp = (int) (dModel * number(json, "mlp_ratio", 4.0));
      }
      int eos = integer(json, "eos_token_id", LladaConfig.DEFAULT_EOS_ID);
      return new LladaConfig(
          dModel,
          nHeads,
          integer(json, "n_kv_heads", nHeads),
          integer(json, "n_layers", null),
          mlp,
          vocab,
          integer(json, "embedding_size", vocab),
          number(json, "rope_theta", 10000.0),
          number(json, "rms_norm_eps", 1e-5),
          integer(json, "max_sequence_length", 4096),
          integer(json, "mask_token_id", LladaConfig.DEFAULT_MASK_ID),
          eos,
          integer(json, "pad_token_id", eos));
    }

    @Override
    JsonObject write(LladaConfig c) {
      JsonObject json = header();
      json.addProperty("d_model", c.dModel());
      json.addProperty("n_heads", c.nHeads());
      json.addProperty("n_kv_heads", c.nKvHeads());
      json.addProperty("n_layers", c.nLayers());
      json.addProperty("mlp_hidden_size", c.mlpHiddenSize());
      json.addProperty("vocab_size", c.vocabSize());
      json.addProperty("embedding_size", c.embeddingSize());
      json.addProperty("rope", true);
      json.addProperty("rope_theta", c.ropeTheta());
      json.addProperty("rms_norm_eps", c.rmsNormEps());
      json.addProperty("layer_norm_type", "rms");
      json.addProperty("activation_type", "silu");
      json.addProperty("block_type", "llama");
      json.addProperty("weight_tying", false);
      json.addProperty("include_bias", false);
      json.addProperty("max_sequence_length", c.maxSequenceLength());
      specialIds(json, c);
      return json;
    }
  },

  /**
   * LLaDA-MoE (llada-spec §7.1): the Hugging Face keys of {@code configuration_lladamoe.py}; mask
   * and EOS ids default to LLaDA-MoE-7B's.
   */
  LLADA_MOE("lladamoe", "LLaDAMoEModelLM") {
    @Override
    LladaConfig read(JsonObject json) {
      refuse(json, "tie_word_embeddings", false, "the LM head would be the embedding");
      refuse(json, "attention_bias", false, "the attention projections would carry a bias");
      refuse(json, "mlp_bias", false, "the expert projections would carry a bias");
      oneOf(json, "hidden_act", List.of("silu"), "silu");
      refuseUnless(json, "partial_rotary_factor", 1.0, "only part of each head would be rotated");
      refuseUnlessNull(json, "rope_scaling", "positions would be rescaled");
      refuseUnlessNull(json, "clip_qkv", "queries, keys and values would be clipped");
      // moe_router_score_function, routed_scaling_factor and router_{num,topk}_group are in the
      // config class but modeling_lladamoe.py never reads them (softmax, no scaling, no groups):
      // the reference ignores them, and so does this reader
      refuseUnlessNull(
          json, "shared_expert_intermediate_size", "a shared expert would run for every token");
      int layers = integer(json, "num_hidden_layers", null);
      JsonElement freq = json.get("moe_layer_freq");
      if (freq != null && !freq.isJsonNull()) {
        require(
            freq.isJsonArray() && freq.getAsJsonArray().size() == layers,
            "\"moe_layer_freq\" must list one entry per layer (" + layers + "), got " + freq);
        for (JsonElement f : freq.getAsJsonArray()) {
          require(
              f.getAsInt() == 1,
              "\"moe_layer_freq\" "
                  + freq
                  + " has dense layers: only all-MoE stacks (every entry 1) are supported");
        }
      }
      int hidden = integer(json, "hidden_size", null);
      int heads = integer(json, "num_attention_heads", null);
      int vocab = integer(json, "vocab_size", null);
      int expertHidden = integer(json, "expert_intermediate_size", null);
      MoeSpec moe =
          new MoeSpec(
              integer(json, "num_experts", null),
              integer(json, "num_experts_per_tok", null),
              expertHidden,
              bool(json, "norm_topk_prob", false),
              bool(json, "moe_router_enable_expert_bias", false),
              number(json, "router_aux_loss_coef", MoeSpec.DEFAULT_AUX_LOSS_COEF),
              number(json, "router_z_loss_coef", MoeSpec.DEFAULT_Z_LOSS_COEF));
      int eos = integer(json, "eos_token_id", DEFAULT_EOS_ID);
      return new LladaConfig(
          hidden,
          heads,
          integer(json, "num_key_value_heads", heads),
          layers,
          expertHidden,
          vocab,
          vocab,
          number(json, "rope_theta", 50000.0),
          number(json, "rms_norm_eps", 1e-5),
          integer(json, "max_position_embeddings", 8192),
          integer(json, "mask_token_id", DEFAULT_MASK_ID),
          eos,
          integer(json, "pad_token_id", eos),
          bool(json, "qk_layernorm", true),
          moe);
    }

    @Override
    JsonObject write(LladaConfig c) {
      MoeSpec moe = c.moe();
      require(c.embeddingSize() == c.vocabSize(), "LLaDA-MoE's embedding has vocab_size rows");
      JsonObject json = header();
      json.addProperty("hidden_size", c.dModel());
      json.addProperty("num_attention_heads", c.nHeads());
      json.addProperty("num_key_value_heads", c.nKvHeads());
      json.addProperty("num_hidden_layers", c.nLayers());
      json.addProperty("vocab_size", c.vocabSize());
      json.addProperty("num_experts", moe.experts());
      json.addProperty("num_experts_per_tok", moe.topK());
      json.addProperty("expert_intermediate_size", moe.expertHiddenSize());
      JsonArray freq = new JsonArray();
      for (int i = 0; i < c.nLayers(); i++) {
        freq.add(1);
      }
      json.add("moe_layer_freq", freq);
      json.add("shared_expert_intermediate_size", com.google.gson.JsonNull.INSTANCE);
      json.addProperty("norm_topk_prob", moe.normTopKProb());
      json.addProperty("moe_router_enable_expert_bias", moe.expertBias());
      json.addProperty("router_aux_loss_coef", moe.auxLossCoef());
      json.addProperty("router_z_loss_coef", moe.zLossCoef());
      json.addProperty("qk_layernorm", c.qkNorm());
      json.addProperty("hidden_act", "silu");
      json.addProperty("attention_bias", false);
      json.addProperty("tie_word_embeddings", false);
      json.addProperty("partial_rotary_factor", 1.0);
      json.addProperty("routed_scaling_factor", 1.0);
      json.addProperty("rope_theta", c.ropeTheta());
      json.addProperty("rms_norm_eps", c.rmsNormEps());
      json.addProperty("max_position_embeddings", c.maxSequenceLength());
      specialIds(json, c);
      return json;
    }
  },

  /**
   * LLaDA-V's language model (llada-spec §8; docs/research/llada-v-layout.md §2a): a dense LLaDA
   * under Hugging Face LLaMA keys, inside a {@code llava_llada} config whose {@code mm_*} keys and
   * vision tower are the vision reader's ({@code dev.llada.core.vision}).
   */
  LLAVA_LLADA("llava_llada", "LlavaLLaDAModelLM") {
    @Override
    LladaConfig read(JsonObject json) {
      refuse(json, "tie_word_embeddings", false, "the LM head would be the embedding");
      refuse(json, "attention_bias", false, "the attention projections would carry a bias");
      refuse(json, "mlp_bias", false, "the MLP projections would carry a bias");
      oneOf(json, "hidden_act", List.of("silu"), "silu");
      refuseUnlessNull(json, "rope_scaling", "positions would be rescaled");
      refuseUnless(json, "pretraining_tp", 1.0, "the projections would be split for TP");
      int hidden = integer(json, "hidden_size", null);
      int heads = integer(json, "num_attention_heads", null);
      int vocab = integer(json, "vocab_size", null);
      int eos = integer(json, "eos_token_id", LladaConfig.DEFAULT_EOS_ID);
      return new LladaConfig(
          hidden,
          heads,
          integer(json, "num_key_value_heads", heads),
          integer(json, "num_hidden_layers", null),
          integer(json, "intermediate_size", null),
          vocab,
          vocab,
          number(json, "rope_theta", 500000.0),
          number(json, "rms_norm_eps", 1e-5),
          integer(json, "max_position_embeddings", 16384),
          integer(json, "mask_token_id", LladaConfig.DEFAULT_MASK_ID),
          eos,
          integer(json, "pad_token_id", eos),
          false,
          null,
          LLAVA_LLADA);
    }

    @Override
    JsonObject write(LladaConfig c) {
      require(c.embeddingSize() == c.vocabSize(), "LLaDA-V's embedding has vocab_size rows");
      JsonObject json = header();
      json.addProperty("hidden_size", c.dModel());
      json.addProperty("intermediate_size", c.mlpHiddenSize());
      json.addProperty("num_hidden_layers", c.nLayers());
      json.addProperty("num_attention_heads", c.nHeads());
      json.addProperty("num_key_value_heads", c.nKvHeads());
      json.addProperty("vocab_size", c.vocabSize());
      json.addProperty("hidden_act", "silu");
      json.addProperty("attention_bias", false);
      json.addProperty("tie_word_embeddings", false);
      json.add("rope_scaling", com.google.gson.JsonNull.INSTANCE);
      json.addProperty("pretraining_tp", 1);
      json.addProperty("rope_theta", c.ropeTheta());
      json.addProperty("rms_norm_eps", c.rmsNormEps());
      json.addProperty("max_position_embeddings", c.maxSequenceLength());
      specialIds(json, c);
      return json;
    }
  };

  /** LLaDA-MoE-7B's special ids (llada-spec §7.1), used when a config omits them. */
  public static final int DEFAULT_MASK_ID = 156895;

  public static final int DEFAULT_EOS_ID = 156892;

  private final String modelType;
  private final String architecture;

  ModelFamily(String modelType, String architecture) {
    this.modelType = modelType;
    this.architecture = architecture;
  }

  /** The {@code model_type} this family writes. */
  public String modelType() {
    return modelType;
  }

  abstract LladaConfig read(JsonObject json);

  abstract JsonObject write(LladaConfig config);

  /** The family of a {@code config.json}: by {@code model_type}, and MoE keys under "llada". */
  static ModelFamily of(JsonObject json) {
    String type = json.has("model_type") ? json.get("model_type").getAsString() : "";
    if (type.equals("lladamoe") || (type.equals("llada") && json.has("num_experts"))) {
      return LLADA_MOE;
    }
    if (type.equals("llava_llada")) {
      return LLAVA_LLADA;
    }
    require(
        type.equals("llada"),
        "model_type must be \"llada\" (dense LLaDA), \"lladamoe\" (LLaDA-MoE) or"
            + " \"llava_llada\" (LLaDA-V), got \""
            + type
            + "\"");
    return LLADA;
  }

  JsonObject header() {
    JsonObject json = new JsonObject();
    json.addProperty("model_type", modelType);
    JsonArray architectures = new JsonArray();
    architectures.add(architecture);
    json.add("architectures", architectures);
    return json;
  }

  static void specialIds(JsonObject json, LladaConfig c) {
    json.addProperty("mask_token_id", c.maskTokenId());
    json.addProperty("eos_token_id", c.eosTokenId());
    json.addProperty("pad_token_id", c.padTokenId());
    json.addProperty("use_cache", false);
  }

  /** A boolean key that must have {@code supported} (or be absent). */
  static void refuse(JsonObject json, String key, boolean supported, String consequence) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      return;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new ModelFormatException("\"" + key + "\" must be true or false, got " + e);
    }
    require(
        e.getAsBoolean() == supported,
        "\"" + key + "\": " + e + " is not supported (" + consequence + ")");
  }

  static void refuseUnlessNull(JsonObject json, String key, String consequence) {
    JsonElement e = json.get(key);
    require(
        e == null || e.isJsonNull(),
        "\"" + key + "\": " + e + " is not supported (" + consequence + "); it must be null");
  }

  static void refuseUnless(JsonObject json, String key, double supported, String consequence) {
    double v = number(json, key, supported);
    require(
        v == supported,
        "\"" + key + "\": " + v + " is not supported (" + consequence + "); only " + supported);
  }

  static void oneOf(JsonObject json, String key, List<String> supported, String fallback) {
    String v =
        json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsString() : fallback;
    require(
        supported.contains(v),
        "\"" + key + "\": \"" + v + "\" is not supported; only " + String.join(", ", supported));
  }

  static boolean bool(JsonObject json, String key, boolean fallback) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      return fallback;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new ModelFormatException("\"" + key + "\" must be true or false, got " + e);
    }
    return e.getAsBoolean();
  }
}

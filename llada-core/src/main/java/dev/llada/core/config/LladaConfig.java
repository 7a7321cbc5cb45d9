package dev.llada.core.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The architecture of a LLaDA model, read from its {@code config.json}: a dense LLaDA (llada-spec
 * §1.1, {@code model_type} "llada") or an LLaDA-MoE (§7.1, "lladamoe", or "llada" with MoE keys).
 * Which keys each family reads, and which it refuses because they would change the math, is {@link
 * ModelFamily}'s.
 *
 * <p>Special token ids come from the model's files; LLaDA-8B's values are only the defaults for
 * keys a config leaves out.
 *
 * @param dModel hidden size ({@code d_model})
 * @param nHeads query heads
 * @param nKvHeads key/value heads (equal to {@code nHeads} for LLaDA 8B; fewer means grouped-query)
 * @param nLayers transformer blocks
 * @param mlpHiddenSize SwiGLU inner size (of one expert, in an MoE)
 * @param vocabSize tokenizer vocabulary
 * @param embeddingSize rows of the embedding and the LM head ({@code >= vocabSize})
 * @param ropeTheta RoPE base
 * @param rmsNormEps RMSNorm epsilon
 * @param maxSequenceLength training context
 * @param maskTokenId {@code <|mdm_mask|>}
 * @param eosTokenId {@code <|endoftext|>}
 * @param padTokenId padding id
 * @param qkNorm per-head RMSNorm of queries and keys before RoPE (LLaDA-MoE's {@code qk_layernorm})
 * @param moe the routed experts of every block, or null for a dense SwiGLU
 * @param family whose parameter names and config keys: {@link ModelFamily#LLADA_MOE} exactly when
 *     {@code moe} is set; a dense network is {@link ModelFamily#LLADA} or, under LLaDA-V's
 *     LLaMA-style names, {@link ModelFamily#LLAVA_LLADA}
 */
public record LladaConfig(
    int dModel,
    int nHeads,
    int nKvHeads,
    int nLayers,
    int mlpHiddenSize,
    int vocabSize,
    int embeddingSize,
    double ropeTheta,
    double rmsNormEps,
    int maxSequenceLength,
    int maskTokenId,
    int eosTokenId,
    int padTokenId,
    boolean qkNorm,
    MoeSpec moe,
    ModelFamily family) {

  /** LLaDA-8B's special ids (llada-spec §0), used when a config omits them. */
  public static final int DEFAULT_MASK_ID = 126336;

  public static final int DEFAULT_EOS_ID = 126081;

  public LladaConfig {
    require(dModel > 0, "d_model must be positive, got " + dModel);
    require(nHeads > 0, "n_heads must be positive, got " + nHeads);
    require(nKvHeads > 0, "n_kv_heads must be positive, got " + nKvHeads);
    require(nLayers > 0, "n_layers must be positive, got " + nLayers);
    require(mlpHiddenSize > 0, "mlp_hidden_size must be positive, got " + mlpHiddenSize);
    require(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
    require(
        dModel % nHeads == 0,
        "d_model (" + dModel + ") must be divisible by n_heads (" + nHeads + ")");
    require(
        (dModel / nHeads) % 2 == 0,
        "head dimension d_model/n_heads = "
            + dModel / nHeads
            + " must be even for rotary embeddings");
    require(
        nHeads % nKvHeads == 0,
        "n_heads (" + nHeads + ") must be a multiple of n_kv_heads (" + nKvHeads + ")");
    require(
        embeddingSize >= vocabSize,
        "embedding_size (" + embeddingSize + ") must be >= vocab_size (" + vocabSize + ")");
    require(ropeTheta > 0, "rope_theta must be positive, got " + ropeTheta);
    require(rmsNormEps > 0, "rms_norm_eps must be positive, got " + rmsNormEps);
    require(maxSequenceLength > 0, "max_sequence_length must be positive");
    for (int id : new int[] {maskTokenId, eosTokenId, padTokenId}) {
      require(
          id >= 0 && id < embeddingSize,
          "special token id " + id + " is outside the embedding (" + embeddingSize + " rows)");
    }
    require(maskTokenId != eosTokenId, "mask_token_id must differ from eos_token_id");
    require(
        maskTokenId != padTokenId,
        "mask_token_id must differ from pad_token_id: a padded position would read as masked");
    require(
        moe == null || moe.expertHiddenSize() == mlpHiddenSize,
        "an MoE config's mlp_hidden_size is its experts' inner size");
    require(family != null, "a config needs its family");
    require(
        (family == ModelFamily.LLADA_MOE) == (moe != null),
        "only the " + ModelFamily.LLADA_MOE.modelType() + " family has routed experts");
  }

  /** A config of LLaDA's own names: dense LLaDA, or LLaDA-MoE when {@code moe} is set. */
  public LladaConfig(
      int dModel,
      int nHeads,
      int nKvHeads,
      int nLayers,
      int mlpHiddenSize,
      int vocabSize,
      int embeddingSize,
      double ropeTheta,
      double rmsNormEps,
      int maxSequenceLength,
      int maskTokenId,
      int eosTokenId,
      int padTokenId,
      boolean qkNorm,
      MoeSpec moe) {
    this(
        dModel,
        nHeads,
        nKvHeads,
        nLayers,
        mlpHiddenSize,
        vocabSize,
        embeddingSize,
        ropeTheta,
        rmsNormEps,
        maxSequenceLength,
        maskTokenId,
        eosTokenId,
        padTokenId,
        qkNorm,
        moe,
        moe == null ? ModelFamily.LLADA : ModelFamily.LLADA_MOE);
  }

  /** A dense LLaDA config (no QK-norm, no experts). */
  public LladaConfig(
      int dModel,
      int nHeads,
      int nKvHeads,
      int nLayers,
      int mlpHiddenSize,
      int vocabSize,
      int embeddingSize,
      double ropeTheta,
      double rmsNormEps,
      int maxSequenceLength,
      int maskTokenId,
      int eosTokenId,
      int padTokenId) {
    this(
        dModel,
        nHeads,
        nKvHeads,
        nLayers,
        mlpHiddenSize,
        vocabSize,
        embeddingSize,
        ropeTheta,
        rmsNormEps,
        maxSequenceLength,
        maskTokenId,
        eosTokenId,
        padTokenId,
        false,
        null);
  }

  /** This config with another context length (the rest unchanged). */
  public LladaConfig withMaxSequenceLength(int length) {
    return with(length, moe, family);
  }

  /** This config with other routed experts (an MoE's training coefficients, say). */
  public LladaConfig withMoe(MoeSpec experts) {
    return with(maxSequenceLength, experts, family);
  }

  /**
   * The same network under another dense family's names and keys (LLaDA's, or LLaDA-V's LLaMA-style
   * ones after {@code rename_checkpoint.py}).
   */
  public LladaConfig withFamily(ModelFamily names) {
    return with(maxSequenceLength, moe, names);
  }

  private LladaConfig with(int length, MoeSpec experts, ModelFamily names) {
    return new LladaConfig(
        dModel,
        nHeads,
        nKvHeads,
        nLayers,
        mlpHiddenSize,
        vocabSize,
        embeddingSize,
        ropeTheta,
        rmsNormEps,
        length,
        maskTokenId,
        eosTokenId,
        padTokenId,
        qkNorm,
        experts,
        names);
  }

  /** Width of one attention head. */
  public int headDim() {
    return dModel / nHeads;
  }

  /** Parameters of the network: embeddings, blocks, final norm and the untied LM head. */
  public long parameterCount() {
    return nLayers * (attentionParameters() + feedForwardParameters(false))
        + 2L * embeddingSize * dModel
        + dModel;
  }

  /**
   * Parameters one token's forward computes with: the blocks (in an MoE only the router and {@code
   * topK} experts), the final norm and the LM head; the input embedding is not counted (a token
   * reads one row of it). This is how LLaDA-MoE-7B-A1B's "1.4B active" counts.
   */
  public long activeParameterCount() {
    return nLayers * (attentionParameters() + feedForwardParameters(true))
        + (long) embeddingSize * dModel
        + dModel;
  }

  /** One block's attention: norm, q k v o, and the per-head q and k norms where used. */
  private long attentionParameters() {
    long d = dModel;
    long kv = (long) nKvHeads * headDim();
    return d * d * 2 + d * kv * 2 + d + (qkNorm ? 2L * headDim() : 0);
  }

  /** One block's feed-forward: norm, then SwiGLU, or the router and (the active) experts. */
  private long feedForwardParameters(boolean activeOnly) {
    long d = dModel;
    long expert = 3 * d * mlpHiddenSize;
    if (moe == null) {
      return d + expert;
    }
    long used = activeOnly ? moe.topK() : moe.experts();
    return d + d * moe.experts() + used * expert + (moe.expertBias() ? moe.experts() : 0);
  }

  /** Reads {@code dir/config.json}. */
  public static LladaConfig read(Path modelDirectory) {
    Path file = modelDirectory.resolve("config.json");
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + " is missing: not a Hugging Face model directory");
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    }
    try {
      return fromJson(JsonParser.parseString(text).getAsJsonObject());
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(file + " is not a JSON object: " + e.getMessage(), e);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds a config from the keys of a {@code config.json}: LLaDA's (model_type "llada") or
   * LLaDA-MoE's ("lladamoe", or "llada" with {@code num_experts}, as the release ships it).
   */
  public static LladaConfig fromJson(JsonObject json) {
    return ModelFamily.of(json).read(json);
  }

  /** This config as {@code config.json} content, in its family's key names. */
  public JsonObject toJson() {
    return family().write(this);
  }

  static int integer(JsonObject json, String key, Integer fallback) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      if (fallback == null) {
        throw new ModelFormatException("config.json has no \"" + key + "\"");
      }
      return fallback;
    }
    try {
      double v = e.getAsDouble();
      if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return (int) v;
    } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException bad) {
      throw new ModelFormatException("\"" + key + "\" must be an integer, got " + e);
    }
  }

  static double number(JsonObject json, String key, double fallback) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      return fallback;
    }
    try {
      return e.getAsDouble();
    } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException bad) {
      throw new ModelFormatException("\"" + key + "\" must be a number, got " + e);
    }
  }

  static void require(boolean ok, String message) {
    if (!ok) {
      throw new ModelFormatException(message);
    }
  }
}

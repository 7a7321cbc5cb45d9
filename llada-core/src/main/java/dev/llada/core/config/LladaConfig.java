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
 * The architecture of a dense LLaDA model, read from its {@code config.json} (llada-spec §1.1).
 *
 * <p>Special token ids come from the model's files; LLaDA-8B's values are only the defaults for
 * keys a config leaves out.
 *
 * @param dModel hidden size ({@code d_model})
 * @param nHeads query heads
 * @param nKvHeads key/value heads (equal to {@code nHeads} for LLaDA 8B; fewer means grouped-query)
 * @param nLayers transformer blocks
 * @param mlpHiddenSize SwiGLU inner size
 * @param vocabSize tokenizer vocabulary
 * @param embeddingSize rows of the embedding and the LM head ({@code >= vocabSize})
 * @param ropeTheta RoPE base
 * @param rmsNormEps RMSNorm epsilon
 * @param maxSequenceLength training context
 * @param maskTokenId {@code <|mdm_mask|>}
 * @param eosTokenId {@code <|endoftext|>}
 * @param padTokenId padding id
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
    int padTokenId) {

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
  }

  /** Width of one attention head. */
  public int headDim() {
    return dModel / nHeads;
  }

  /** Parameters of the network: embeddings, blocks, final norm and the untied LM head. */
  public long parameterCount() {
    long d = dModel;
    long kv = (long) nKvHeads * headDim();
    long block = d * d * 2 + d * kv * 2 + 3 * d * mlpHiddenSize + 2 * d;
    return nLayers * block + 2L * embeddingSize * d + d;
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

  /** Builds a config from the JSON keys of LLaDA's {@code config.json}. */
  public static LladaConfig fromJson(JsonObject json) {
    String type = json.has("model_type") ? json.get("model_type").getAsString() : "";
    require(
        type.equals("llada"),
        "model_type must be \"llada\" (a dense LLaDA model), got \"" + type + "\"");
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
        integer(json, "mask_token_id", DEFAULT_MASK_ID),
        integer(json, "eos_token_id", DEFAULT_EOS_ID),
        integer(json, "pad_token_id", integer(json, "eos_token_id", DEFAULT_EOS_ID)));
  }

  /** This config as {@code config.json} content, in LLaDA's key names. */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    json.addProperty("model_type", "llada");
    com.google.gson.JsonArray architectures = new com.google.gson.JsonArray();
    architectures.add("LLaDAModelLM");
    json.add("architectures", architectures);
    json.addProperty("d_model", dModel);
    json.addProperty("n_heads", nHeads);
    json.addProperty("n_kv_heads", nKvHeads);
    json.addProperty("n_layers", nLayers);
    json.addProperty("mlp_hidden_size", mlpHiddenSize);
    json.addProperty("vocab_size", vocabSize);
    json.addProperty("embedding_size", embeddingSize);
    json.addProperty("rope", true);
    json.addProperty("rope_theta", ropeTheta);
    json.addProperty("rms_norm_eps", rmsNormEps);
    json.addProperty("layer_norm_type", "rms");
    json.addProperty("activation_type", "silu");
    json.addProperty("block_type", "llama");
    json.addProperty("weight_tying", false);
    json.addProperty("include_bias", false);
    json.addProperty("max_sequence_length", maxSequenceLength);
    json.addProperty("mask_token_id", maskTokenId);
    json.addProperty("eos_token_id", eosTokenId);
    json.addProperty("pad_token_id", padTokenId);
    json.addProperty("use_cache", false);
    return json;
  }

  private static int integer(JsonObject json, String key, Integer fallback) {
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

  private static double number(JsonObject json, String key, double fallback) {
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

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new ModelFormatException(message);
    }
  }
}

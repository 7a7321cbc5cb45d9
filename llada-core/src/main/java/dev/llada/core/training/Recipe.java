package dev.llada.core.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.tasks.Tasks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training run, read from JSON. Every field is checked when the file is read, so a bad recipe
 * fails before any work starts, with the field named.
 *
 * <pre>{@code
 * {"name": "llada-tiny-base", "objective": "pretrain" | "sft", "seed": 1,
 *  "output": "models/llada-tiny-base", "init": null | "models/llada-tiny-base",
 *  "model": {"d_model": 128, "n_heads": 4, "n_kv_heads": 4, "n_layers": 4,
 *            "mlp_hidden_size": 384, "rope_theta": 10000, "max_sequence_length": 128},
 *  "tasks": {"add2": 1, "sort": 1},
 *  "train": {"steps": 3000, "batch_size": 64, "grad_accum": 1, "lr": 0.002, "min_lr_ratio": 0,
 *            "warmup": 100, "schedule": "wsd" | "cosine", "decay_fraction": 0.15,
 *            "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "clip": 1.0,
 *            "checkpoint_every": 200, "log_every": 20, "batch_tokens": 16384 (optional),
 *            "eos_pad_weight": 0.05 (optional, SFT: the weight of the EOS padding's CE)}}
 * }</pre>
 */
public record Recipe(
    String name,
    Objective objective,
    long seed,
    Path output,
    Path init,
    ModelShape model,
    Map<String, Double> tasks,
    Optimization train,
    String sha256) {

  /** Which loss. */
  public enum Objective {
    PRETRAIN,
    SFT
  }

  /** The network's shape (the vocabulary comes from the tokenizer). */
  public record ModelShape(
      int dModel,
      int nHeads,
      int nKvHeads,
      int nLayers,
      int mlpHiddenSize,
      double ropeTheta,
      int maxSequenceLength,
      MoeShape moe) {}

  /**
   * The routed experts of an LLaDA-MoE recipe ({@code model.moe}); {@code mlp_hidden_size} is then
   * one expert's inner size. LLaDA-MoE's per-head q/k norm comes with it ({@code qk_norm}, default
   * true).
   */
  public record MoeShape(
      int experts,
      int topK,
      boolean normTopKProb,
      boolean qkNorm,
      double auxLossCoef,
      double zLossCoef) {}

  /** Optimisation knobs. */
  public record Optimization(
      int steps,
      int batchSize,
      int gradAccum,
      double lr,
      double minLrRatio,
      int warmup,
      String schedule,
      double decayFraction,
      double weightDecay,
      double beta1,
      double beta2,
      double clip,
      int checkpointEvery,
      int logEvery,
      int batchTokens,
      double eosPadWeight) {

    /**
     * Rows of a micro-batch on a canvas of {@code length} tokens: {@code batch_size}, or with
     * {@code batch_tokens} as many as that many tokens hold (at least one, at most {@code
     * batch_size}), so that long canvases do not make steps many times dearer.
     */
    public int rows(int length) {
      return batchTokens == 0 ? batchSize : Math.max(1, Math.min(batchSize, batchTokens / length));
    }
  }

  /** Reads and validates a recipe; relative paths are resolved against {@code base}. */
  public static Recipe read(Path file, Path base) {
    String text = text(file);
    JsonObject json;
    try {
      json = JsonParser.parseString(text).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalArgumentException("recipe " + file + " is not a JSON object");
    }
    try {
      return parse(json, base, sha256(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("recipe " + file + ": " + e.getMessage());
    }
  }

  static Recipe parse(JsonObject json, Path base, String sha256) {
    String name = string(json, "name");
    String objectiveName = string(json, "objective");
    Objective objective;
    try {
      objective = Objective.valueOf(objectiveName.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"objective\" must be \"pretrain\" or \"sft\"");
    }
    Path output = base.resolve(string(json, "output")).normalize();
    Path init =
        json.has("init") && !json.get("init").isJsonNull()
            ? base.resolve(json.get("init").getAsString()).normalize()
            : null;
    boolean fromScratch = json.has("from_scratch") && json.get("from_scratch").getAsBoolean();
    if (objective == Objective.SFT && init == null && !fromScratch) {
      // SFT from a random init (response-only masking from the start) is allowed when asked for
      throw new IllegalArgumentException(
          "an sft recipe needs \"init\": the base model to start from (or \"from_scratch\":"
              + " true to fine-tune a randomly initialised model)");
    }
    if (fromScratch && init != null) {
      throw new IllegalArgumentException("\"from_scratch\": true and an \"init\" contradict");
    }
    JsonObject m = object(json, "model");
    int d = positive(m, "d_model");
    int heads = positive(m, "n_heads");
    ModelShape shape =
        new ModelShape(
            d,
            heads,
            m.has("n_kv_heads") ? positive(m, "n_kv_heads") : heads,
            positive(m, "n_layers"),
            positive(m, "mlp_hidden_size"),
            m.has("rope_theta") ? m.get("rope_theta").getAsDouble() : 10000.0,
            positive(m, "max_sequence_length"),
            m.has("moe") ? moe(object(m, "moe")) : null);
    if (d % heads != 0 || (d / heads) % 2 != 0) {
      throw new IllegalArgumentException("model.d_model must split into n_heads even-sized heads");
    }
    JsonObject t = object(json, "tasks");
    if (t.size() == 0) {
      throw new IllegalArgumentException("\"tasks\" names no task");
    }
    Map<String, Double> tasks = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> e : t.entrySet()) {
      Tasks.get(e.getKey()); // unknown names fail here, with the list of known ones
      double w = e.getValue().getAsDouble();
      if (!(w > 0)) {
        throw new IllegalArgumentException("task weight of " + e.getKey() + " must be > 0");
      }
      tasks.put(e.getKey(), w);
    }
    JsonObject o = object(json, "train");
    String schedule = o.has("schedule") ? o.get("schedule").getAsString() : "wsd";
    if (!schedule.equals("wsd") && !schedule.equals("cosine")) {
      throw new IllegalArgumentException("train.schedule must be \"wsd\" or \"cosine\"");
    }
    Optimization train =
        new Optimization(
            positive(o, "steps"),
            positive(o, "batch_size"),
            o.has("grad_accum") ? positive(o, "grad_accum") : 1,
            range(o, "lr", 0, 10, null),
            range(o, "min_lr_ratio", 0, 1, 0.0),
            (int) range(o, "warmup", 0, Integer.MAX_VALUE, 0.0),
            schedule,
            range(o, "decay_fraction", 0, 1, 0.15),
            range(o, "weight_decay", 0, 10, 0.1),
            range(o, "beta1", 0, 0.999999, 0.9),
            range(o, "beta2", 0, 0.999999, 0.95),
            range(o, "clip", 0, 1e9, 1.0),
            o.has("checkpoint_every") ? positive(o, "checkpoint_every") : 200,
            o.has("log_every") ? positive(o, "log_every") : 20,
            o.has("batch_tokens") ? positive(o, "batch_tokens") : 0,
            range(o, "eos_pad_weight", 1e-6, 1, 1.0));
    if (!(train.lr() > 0)) {
      throw new IllegalArgumentException("train.lr must be > 0");
    }
    long seed = json.has("seed") ? json.get("seed").getAsLong() : 0;
    return new Recipe(name, objective, seed, output, init, shape, tasks, train, sha256);
  }

  private static MoeShape moe(JsonObject m) {
    for (String key : m.keySet()) {
      if (!java.util.Set.of(
              "experts", "top_k", "norm_topk_prob", "qk_norm", "aux_loss_coef", "z_loss_coef")
          .contains(key)) {
        throw new IllegalArgumentException(
            "model.moe has an unknown field \""
                + key
                + "\" (known: experts, top_k,"
                + " norm_topk_prob, qk_norm, aux_loss_coef, z_loss_coef)");
      }
    }
    int experts = positive(m, "experts");
    int topK = positive(m, "top_k");
    if (topK > experts) {
      throw new IllegalArgumentException(
          "model.moe.top_k (" + topK + ") must not exceed model.moe.experts (" + experts + ")");
    }
    return new MoeShape(
        experts,
        topK,
        m.has("norm_topk_prob") && m.get("norm_topk_prob").getAsBoolean(),
        !m.has("qk_norm") || m.get("qk_norm").getAsBoolean(),
        range(m, "aux_loss_coef", 0, 100, 0.01),
        range(m, "z_loss_coef", 0, 100, 0.001));
  }

  static JsonObject object(JsonObject json, String key) {
    if (!json.has(key) || !json.get(key).isJsonObject()) {
      throw new IllegalArgumentException("missing object \"" + key + "\"");
    }
    return json.getAsJsonObject(key);
  }

  static String string(JsonObject json, String key) {
    if (!json.has(key) || json.get(key).isJsonNull()) {
      throw new IllegalArgumentException("missing field \"" + key + "\"");
    }
    return json.get(key).getAsString();
  }

  static int positive(JsonObject json, String key) {
    if (!json.has(key)) {
      throw new IllegalArgumentException("missing field \"" + key + "\"");
    }
    double v = json.get(key).getAsDouble();
    if (v < 1 || v != Math.rint(v) || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must be a positive integer, got " + json.get(key));
    }
    return (int) v;
  }

  static double range(JsonObject json, String key, double lo, double hi, Double fallback) {
    if (!json.has(key)) {
      if (fallback == null) {
        throw new IllegalArgumentException("missing field \"" + key + "\"");
      }
      return fallback;
    }
    double v = json.get(key).getAsDouble();
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(
          "\"" + key + "\" must be in [" + lo + ", " + hi + "], got " + v);
    }
    return v;
  }

  /** A recipe file's text; a missing or unreadable file is an {@link IllegalArgumentException}. */
  public static String text(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("recipe " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read recipe " + file + ": " + e.getMessage());
    }
  }

  /** The hex SHA-256 of a recipe's text: what checkpoints record, so another recipe is refused. */
  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

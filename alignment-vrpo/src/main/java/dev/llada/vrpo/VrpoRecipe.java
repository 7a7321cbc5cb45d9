package dev.llada.vrpo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.training.Recipe;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * A VRPO run, read from JSON and checked whole before any work starts; a bad field is named. The
 * defaults are LLaDA 1.5's (llada-spec §6.4): β 0.2, SFT weight 0.05, (n_t, n_{y_t}) = (8, 1) with
 * antithetic sampling, AdamW (0.9, 0.95, wd 0.01), warm-up then cosine decay.
 *
 * <pre>{@code
 * {"name": "llada-tiny-1.5", "seed": 15,
 *  "policy": "models/llada-tiny-instruct", "reference": null (= the policy's start),
 *  "data": "data/vrpo/tiny-pairs.jsonl", "output": "models/llada-tiny-1.5",
 *  "vrpo": {"beta": 0.2, "sft_weight": 0.05, "n_t": 8, "n_yt": 1, "antithetic": true,
 *           "precompute_reference": false},
 *  "train": {"steps": 300, "pairs_per_step": 16, "grad_accum": 1, "lr": 1e-4, "warmup": 15,
 *            "min_lr_ratio": 0, "clip": 1.0, "weight_decay": 0.01, "beta1": 0.9, "beta2": 0.95,
 *            "checkpoint_every": 25, "log_every": 5}}
 * }</pre>
 *
 * @param sha256 of the recipe's text: a checkpoint written under another recipe is not resumed
 */
public record VrpoRecipe(
    String name,
    long seed,
    Path policy,
    Path reference,
    Path data,
    Path output,
    Objective vrpo,
    Optimization train,
    String sha256) {

  /**
   * The loss's knobs.
   *
   * @param precomputeReference compute the reference's ELBOs of the whole run first, then train
   *     without the reference model in memory
   */
  public record Objective(
      double beta, double sftWeight, ElboBudget budget, boolean precomputeReference) {}

  /** The optimiser's knobs. */
  public record Optimization(
      int steps,
      int pairsPerStep,
      int gradAccum,
      double lr,
      int warmup,
      double minLrRatio,
      double clip,
      double weightDecay,
      double beta1,
      double beta2,
      int checkpointEvery,
      int logEvery) {}

  private static final Set<String> TOP =
      Set.of("name", "seed", "policy", "reference", "data", "output", "vrpo", "train");
  private static final Set<String> VRPO =
      Set.of("beta", "sft_weight", "n_t", "n_yt", "antithetic", "precompute_reference");
  private static final Set<String> TRAIN =
      Set.of(
          "steps",
          "pairs_per_step",
          "grad_accum",
          "lr",
          "warmup",
          "min_lr_ratio",
          "clip",
          "weight_decay",
          "beta1",
          "beta2",
          "checkpoint_every",
          "log_every");

  /** Reads and validates a recipe; relative paths are resolved against {@code base}. */
  public static VrpoRecipe read(Path file, Path base) {
    String text = Recipe.text(file);
    try {
      JsonElement json = JsonParser.parseString(text);
      if (!json.isJsonObject()) {
        throw new IllegalArgumentException("not a JSON object");
      }
      return parse(json.getAsJsonObject(), base, Recipe.sha256(text));
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("recipe " + file + " is not valid JSON");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("recipe " + file + ": " + e.getMessage());
    }
  }

  static VrpoRecipe parse(JsonObject json, Path base, String sha256) {
    known(json, TOP, "");
    String name = string(json, "name");
    Path policy = base.resolve(string(json, "policy")).normalize();
    Path reference =
        json.has("reference") && !json.get("reference").isJsonNull()
            ? base.resolve(string(json, "reference")).normalize()
            : policy;
    Path data = base.resolve(string(json, "data")).normalize();
    Path output = base.resolve(string(json, "output")).normalize();
    if (output.equals(policy) || output.equals(reference)) {
      throw new IllegalArgumentException(
          "\"output\" must not be the policy's or reference's model");
    }
    JsonObject v = json.has("vrpo") ? object(json, "vrpo") : new JsonObject();
    known(v, VRPO, "vrpo.");
    int nT = (int) integer(v, "vrpo.", "n_t", 1, ElboBudget.MAX_SAMPLES, 8L);
    int nYt = (int) integer(v, "vrpo.", "n_yt", 1, ElboBudget.MAX_SAMPLES, 1L);
    if (nT * nYt > ElboBudget.MAX_SAMPLES) {
      throw new IllegalArgumentException(
          "vrpo.n_t × vrpo.n_yt must be at most " + ElboBudget.MAX_SAMPLES);
    }
    boolean antithetic = bool(v, "vrpo.", "antithetic", true);
    double beta = number(v, "vrpo.", "beta", 1e-6, 1e3, 0.2);
    double sft = number(v, "vrpo.", "sft_weight", 0, 1e3, 0.05);
    boolean precompute = bool(v, "vrpo.", "precompute_reference", false);
    JsonObject t = object(json, "train");
    known(t, TRAIN, "train.");
    Optimization train =
        new Optimization(
            (int) integer(t, "train.", "steps", 1, 10_000_000, null),
            (int) integer(t, "train.", "pairs_per_step", 1, 65_536, null),
            (int) integer(t, "train.", "grad_accum", 1, 4096, 1L),
            number(t, "train.", "lr", 1e-12, 10, null),
            (int) integer(t, "train.", "warmup", 0, 10_000_000, 0L),
            number(t, "train.", "min_lr_ratio", 0, 1, 0.0),
            number(t, "train.", "clip", 0, 1e9, 1.0),
            number(t, "train.", "weight_decay", 0, 10, 0.01),
            number(t, "train.", "beta1", 0, 0.999999, 0.9),
            number(t, "train.", "beta2", 0, 0.999999, 0.95),
            (int) integer(t, "train.", "checkpoint_every", 1, 10_000_000, 50L),
            (int) integer(t, "train.", "log_every", 1, 10_000_000, 5L));
    long seed =
        json.has("seed") ? integer(json, "", "seed", Long.MIN_VALUE, Long.MAX_VALUE, 0L) : 0;
    return new VrpoRecipe(
        name,
        seed,
        policy,
        reference,
        data,
        output,
        new Objective(beta, sft, new ElboBudget(nT, nYt, antithetic), precompute),
        train,
        sha256);
  }

  /** The objective this recipe trains with. */
  public DpoObjective objective(int maskId, int padId) {
    return new DpoObjective(vrpo.beta(), vrpo.sftWeight(), vrpo.budget(), maskId, padId);
  }

  private static void known(JsonObject json, Set<String> fields, String prefix) {
    for (Map.Entry<String, JsonElement> e : json.entrySet()) {
      if (!fields.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "unknown field \""
                + prefix
                + e.getKey()
                + "\"; known: "
                + new java.util.TreeSet<>(fields));
      }
    }
  }

  private static JsonObject object(JsonObject json, String key) {
    if (!json.has(key) || !json.get(key).isJsonObject()) {
      throw new IllegalArgumentException("missing object \"" + key + "\"");
    }
    return json.getAsJsonObject(key);
  }

  private static String string(JsonObject json, String key) {
    JsonElement e = json.get(key);
    if (e == null || e.isJsonNull()) {
      throw new IllegalArgumentException("missing field \"" + key + "\"");
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString() || e.getAsString().isBlank()) {
      throw new IllegalArgumentException("\"" + key + "\" must be a non-empty string");
    }
    return e.getAsString();
  }

  private static boolean bool(JsonObject json, String prefix, String key, boolean fallback) {
    JsonElement e = json.get(key);
    if (e == null) {
      return fallback;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
      throw new IllegalArgumentException("\"" + prefix + key + "\" must be true or false");
    }
    return e.getAsBoolean();
  }

  private static double number(
      JsonObject json, String prefix, String key, double lo, double hi, Double fallback) {
    JsonElement e = json.get(key);
    if (e == null) {
      if (fallback == null) {
        throw new IllegalArgumentException("missing field \"" + prefix + key + "\"");
      }
      return fallback;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException("\"" + prefix + key + "\" must be a number, got " + e);
    }
    double x = e.getAsDouble();
    if (!(x >= lo && x <= hi)) {
      throw new IllegalArgumentException(
          "\"" + prefix + key + "\" must be in [" + lo + ", " + hi + "], got " + e);
    }
    return x;
  }

  private static long integer(
      JsonObject json, String prefix, String key, long lo, long hi, Long fallback) {
    JsonElement e = json.get(key);
    if (e == null) {
      if (fallback == null) {
        throw new IllegalArgumentException("missing field \"" + prefix + key + "\"");
      }
      return fallback;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
      throw new IllegalArgumentException("\"" + prefix + key + "\" must be an integer, got " + e);
    }
    java.math.BigDecimal d = e.getAsBigDecimal();
    if (d.stripTrailingZeros().scale() > 0
        || d.compareTo(java.math.BigDecimal.valueOf(lo)) < 0
        || d.compareTo(java.math.BigDecimal.valueOf(hi)) > 0) {
      throw new IllegalArgumentException(
          "\"" + prefix + key + "\" must be an integer in [" + lo + ", " + hi + "], got " + e);
    }
    return d.longValueExact();
  }
}

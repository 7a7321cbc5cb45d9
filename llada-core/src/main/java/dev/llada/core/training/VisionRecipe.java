package dev.llada.core.training;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A LLaDA-V training run (issue #20), read from JSON and checked whole before any work starts: a
 * tiny Instruct model as the language model, a SigLIP-style tower and the {@code mlp2x_gelu}
 * projector trained on the visual task suite ({@link ShapeScenes}), in LLaDA-V's stages (llada-spec
 * §8): first alignment (the language model frozen), then the full model, with text rows of the
 * Instruct's own tasks mixed in so that it keeps them.
 *
 * <pre>{@code
 * {"name": "llada-tiny-v", "seed": 5, "output": "models/llada-tiny-v",
 *  "init": "models/llada-tiny-instruct", "max_sequence_length": 192,
 *  "vision": {"image_size": 64, "patch_size": 8, "hidden_size": 128, "intermediate_size": 256,
 *             "num_hidden_layers": 5, "num_attention_heads": 4, "select_layer": -2,
 *             "image_newline": true},
 *  "questions": {"colour": 1, "shape": 1, "count": 1, "position": 1, "comparison": 1},
 *  "text": {"add2": 1, "sort": 1, "reverse": 1},
 *  "stages": [{"name": "align", "trains": "vision", "steps": 600, "lr": 0.002, "warmup": 50},
 *             {"name": "full", "trains": "all", "steps": 2400, "lr": 0.0005, "warmup": 50,
 *              "text_fraction": 0.3}],
 *  "train": {"batch_size": 32, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "clip": 1.0,
 *            "schedule": "wsd", "decay_fraction": 0.3, "checkpoint_every": 100, "log_every": 20,
 *            "eos_pad_weight": 1}}
 * }</pre>
 */
public record VisionRecipe(
    String name,
    long seed,
    Path output,
    Path init,
    int maxSequenceLength,
    VisionConfig vision,
    boolean imageNewline,
    Map<ShapeScenes.Category, Double> questions,
    Map<String, Double> text,
    List<Stage> stages,
    Common train,
    String sha256) {

  /** What a stage trains. */
  public enum Trains {
    /** The tower, the projector and the image newline; the language model frozen (alignment). */
    VISION,
    /** Every parameter. */
    ALL
  }

  /**
   * One stage: its steps, learning-rate schedule, share of text micro-batches and the language
   * model's peak learning rate when it trains ({@code language_lr}, default {@code lr}; LLaDA-V
   * likewise gives its tower its own rate, {@code mm_vision_tower_lr}).
   */
  public record Stage(
      String name,
      Trains trains,
      int steps,
      double lr,
      int warmup,
      double textFraction,
      double languageLr) {}

  /** Knobs shared by the stages. */
  public record Common(
      int batchSize,
      double weightDecay,
      double beta1,
      double beta2,
      double clip,
      String schedule,
      double decayFraction,
      int checkpointEvery,
      int logEvery,
      double eosPadWeight) {}

  /** Steps of every stage together. */
  public int steps() {
    return stages.stream().mapToInt(Stage::steps).sum();
  }

  /** The stage step {@code step} (0-based, global) belongs to. */
  public int stageOf(int step) {
    int end = 0;
    for (int i = 0; i < stages.size(); i++) {
      end += stages.get(i).steps();
      if (step < end) {
        return i;
      }
    }
    return stages.size() - 1;
  }

  /** The global step at which stage {@code i} starts. */
  public int stageStart(int i) {
    int start = 0;
    for (int k = 0; k < i; k++) {
      start += stages.get(k).steps();
    }
    return start;
  }

  /** Whether {@code json} is a vision recipe (it has a "vision" section). */
  public static boolean isVision(JsonObject json) {
    return json.has("vision");
  }

  /** Reads and validates a recipe; relative paths resolve against {@code base}. */
  public static VisionRecipe read(Path file, Path base) {
    String text = Recipe.text(file);
    JsonObject json;
    try {
      json = JsonParser.parseString(text).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new IllegalArgumentException("recipe " + file + " is not a JSON object");
    }
    try {
      return parse(json, base, Recipe.sha256(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("recipe " + file + ": " + e.getMessage());
    } catch (RuntimeException e) { // a JSON value of the wrong kind
      throw new IllegalArgumentException("recipe " + file + ": " + e.getMessage());
    }
  }

  static VisionRecipe parse(JsonObject json, Path base, String sha256) {
    known(
        json,
        "",
        Set.of(
            "name",
            "seed",
            "output",
            "init",
            "max_sequence_length",
            "vision",
            "questions",
            "text",
            "stages",
            "train"));
    JsonObject v = Recipe.object(json, "vision");
    known(
        v,
        "vision.",
        Set.of(
            "image_size",
            "patch_size",
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "select_layer",
            "image_newline"));
    VisionConfig vision;
    try {
      vision =
          new VisionConfig(
              Recipe.positive(v, "hidden_size"),
              Recipe.positive(v, "intermediate_size"),
              Recipe.positive(v, "num_hidden_layers"),
              Recipe.positive(v, "num_attention_heads"),
              Recipe.positive(v, "patch_size"),
              Recipe.positive(v, "image_size"),
              1e-6,
              v.has("select_layer") ? v.get("select_layer").getAsInt() : -2);
    } catch (dev.llada.core.config.ModelFormatException e) {
      throw new IllegalArgumentException("vision: " + e.getMessage());
    }
    boolean newline = !v.has("image_newline") || v.get("image_newline").getAsBoolean();
    Map<ShapeScenes.Category, Double> questions = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : weights(Recipe.object(json, "questions"), "questions")) {
      ShapeScenes.Category c;
      try {
        c = ShapeScenes.Category.valueOf(e.getKey().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException x) {
        throw new IllegalArgumentException(
            "questions: unknown category \""
                + e.getKey()
                + "\" (known: colour, shape, count, position, comparison)");
      }
      questions.put(c, e.getValue());
    }
    if (questions.isEmpty()) {
      throw new IllegalArgumentException("\"questions\" names no category");
    }
    Map<String, Double> text = new LinkedHashMap<>();
    if (json.has("text")) {
      for (Map.Entry<String, Double> e : weights(Recipe.object(json, "text"), "text")) {
        Tasks.get(e.getKey()); // unknown names fail with the list of known ones
        text.put(e.getKey(), e.getValue());
      }
    }
    if (!json.has("stages") || !json.get("stages").isJsonArray()) {
      throw new IllegalArgumentException("missing array \"stages\"");
    }
    List<Stage> stages = new ArrayList<>();
    for (JsonElement element : json.getAsJsonArray("stages")) {
      if (!element.isJsonObject()) {
        throw new IllegalArgumentException("every stage must be an object");
      }
      JsonObject s = element.getAsJsonObject();
      known(
          s,
          "stages[].",
          Set.of("name", "trains", "steps", "lr", "warmup", "text_fraction", "language_lr"));
      Trains trains;
      String t = Recipe.string(s, "trains");
      try {
        trains = Trains.valueOf(t.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException x) {
        throw new IllegalArgumentException(
            "stages[].trains must be \"vision\" or \"all\", got \"" + t + "\"");
      }
      double fraction = Recipe.range(s, "text_fraction", 0, 1, 0.0);
      if (fraction > 0 && text.isEmpty()) {
        throw new IllegalArgumentException(
            "stage "
                + Recipe.string(s, "name")
                + " has a text_fraction but \"text\" names no task");
      }
      double lr = Recipe.range(s, "lr", 0, 10, null);
      if (!(lr > 0)) {
        throw new IllegalArgumentException("stages[].lr must be > 0");
      }
      double languageLr = Recipe.range(s, "language_lr", 0, 10, lr);
      if (!(languageLr > 0)) {
        throw new IllegalArgumentException("stages[].language_lr must be > 0");
      }
      if (s.has("language_lr") && trains == Trains.VISION) {
        throw new IllegalArgumentException(
            "stage " + Recipe.string(s, "name") + " freezes the language model: no language_lr");
      }
      stages.add(
          new Stage(
              Recipe.string(s, "name"),
              trains,
              Recipe.positive(s, "steps"),
              lr,
              (int) Recipe.range(s, "warmup", 0, Integer.MAX_VALUE, 0.0),
              fraction,
              languageLr));
    }
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("\"stages\" is empty");
    }
    JsonObject o = Recipe.object(json, "train");
    known(
        o,
        "train.",
        Set.of(
            "batch_size",
            "weight_decay",
            "beta1",
            "beta2",
            "clip",
            "schedule",
            "decay_fraction",
            "checkpoint_every",
            "log_every",
            "eos_pad_weight"));
    String schedule = o.has("schedule") ? o.get("schedule").getAsString() : "wsd";
    if (!schedule.equals("wsd") && !schedule.equals("cosine")) {
      throw new IllegalArgumentException("train.schedule must be \"wsd\" or \"cosine\"");
    }
    Common common =
        new Common(
            Recipe.positive(o, "batch_size"),
            Recipe.range(o, "weight_decay", 0, 10, 0.1),
            Recipe.range(o, "beta1", 0, 0.999999, 0.9),
            Recipe.range(o, "beta2", 0, 0.999999, 0.95),
            Recipe.range(o, "clip", 0, 1e9, 1.0),
            schedule,
            Recipe.range(o, "decay_fraction", 0, 1, 0.15),
            o.has("checkpoint_every") ? Recipe.positive(o, "checkpoint_every") : 100,
            o.has("log_every") ? Recipe.positive(o, "log_every") : 20,
            Recipe.range(o, "eos_pad_weight", 1e-6, 1, 1.0));
    return new VisionRecipe(
        Recipe.string(json, "name"),
        json.has("seed") ? json.get("seed").getAsLong() : 0,
        base.resolve(Recipe.string(json, "output")).normalize(),
        base.resolve(Recipe.string(json, "init")).normalize(),
        Recipe.positive(json, "max_sequence_length"),
        vision,
        newline,
        questions,
        text,
        List.copyOf(stages),
        common,
        sha256);
  }

  private static List<Map.Entry<String, Double>> weights(JsonObject o, String where) {
    List<Map.Entry<String, Double>> out = new ArrayList<>();
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      double w = e.getValue().getAsDouble();
      if (!(w > 0)) {
        throw new IllegalArgumentException(
            where + ": the weight of " + e.getKey() + " must be > 0");
      }
      out.add(Map.entry(e.getKey(), w));
    }
    return out;
  }

  private static void known(JsonObject o, String prefix, Set<String> keys) {
    for (String key : o.keySet()) {
      if (!keys.contains(key)) {
        throw new IllegalArgumentException(
            "unknown field \""
                + prefix
                + key
                + "\" (known: "
                + String.join(", ", new java.util.TreeSet<>(keys))
                + ")");
      }
    }
  }
}

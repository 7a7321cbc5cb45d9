package dev.llada.platform.interfaces.rest;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.Remasking;
import dev.llada.platform.application.DiffusionParams;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.JsonObject;
import java.util.List;

/** Reads the diffusion knobs and the OpenAI fields this platform accepts from a request body. */
final class DiffusionRequests {

  private DiffusionRequests() {}

  /** OpenAI fields that make no sense for a diffusion model, refused rather than ignored. */
  private static final List<String> UNSUPPORTED =
      List.of("logprobs", "top_logprobs", "echo", "best_of", "suffix", "tools", "functions");

  static DiffusionParams params(JsonObject b) {
    for (String f : UNSUPPORTED) {
      if (JsonFields.present(b, f) && b.get(f) != jakarta.json.JsonValue.FALSE) {
        throw new InvalidRequestException(
            "unsupported_parameter", f, "'" + f + "' is not supported by LLaDA models.");
      }
    }
    long n = JsonFields.integer(b, "n", 1L);
    if (n != 1) {
      throw new InvalidRequestException("n", "Only n = 1 is supported.");
    }
    Long maxTokens = lengthField(b, "max_tokens");
    Long maxCompletion = lengthField(b, "max_completion_tokens");
    Long genLength = lengthField(b, "gen_length");
    Long chosen = genLength != null ? genLength : maxCompletion != null ? maxCompletion : maxTokens;
    for (Long other : new Long[] {maxTokens, maxCompletion}) {
      if (other != null && chosen != null && !other.equals(chosen)) {
        throw new InvalidRequestException(
            "gen_length", "gen_length, max_tokens and max_completion_tokens disagree.");
      }
    }
    String remasking = JsonFields.string(b, "remasking", "low_confidence");
    Remasking r =
        switch (remasking) {
          case "low_confidence" -> Remasking.LOW_CONFIDENCE;
          case "random" -> Remasking.RANDOM;
          default ->
              throw new InvalidRequestException(
                  "remasking", "remasking must be 'low_confidence' or 'random'.");
        };
    Acceleration acceleration = acceleration(b, r);
    Integer steps = positive(b, "steps", InferenceService.MAX_STEPS);
    Integer block = positive(b, "block_length", MAX_LENGTH);
    return new DiffusionParams(
        steps,
        chosen == null ? null : Math.toIntExact(chosen),
        block,
        JsonFields.number(b, "temperature", 0.0, 0.0, 2.0),
        JsonFields.number(b, "cfg_scale", 0.0, 0.0, 100.0),
        r,
        JsonFields.integer(b, "seed", null),
        acceleration);
  }

  /**
   * {@code sampler} ({@code reference}, the default, or {@code fast}), {@code threshold} (the fast
   * sampler's confidence threshold τ in (0, 1], default 0.9) and {@code cache} ({@code none},
   * {@code prefix} or {@code dual}, the default; ARCHITECTURE "Request knobs") and {@code refresh}
   * ({@code incremental}, the default with a cache, or {@code whole}: Fast-dLLM's). The fast
   * sampler also stops as soon as the answer is fixed (exact: the answer is the same).
   */
  private static Acceleration acceleration(JsonObject b, Remasking remasking) {
    String sampler = JsonFields.string(b, "sampler", "reference");
    boolean hasThreshold = JsonFields.present(b, "threshold");
    String cache = JsonFields.string(b, "cache", null);
    String refresh = JsonFields.string(b, "refresh", null);
    if (refresh != null && !refresh.equals("whole") && !refresh.equals("incremental")) {
      throw new InvalidRequestException(
          "refresh", "refresh must be 'whole' or 'incremental', got '" + refresh + "'.");
    }
    Acceleration.Cache kind;
    try {
      kind = cache == null ? Acceleration.Cache.DUAL : Acceleration.Cache.of(cache);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(
          "cache", "cache must be 'none', 'prefix' or 'dual', got '" + cache + "'.");
    }
    switch (sampler) {
      case "reference" -> {
        if (hasThreshold) {
          throw new InvalidRequestException(
              "threshold", "threshold applies to sampler 'fast' only.");
        }
        if (cache != null && kind != Acceleration.Cache.NONE) {
          throw new InvalidRequestException("cache", "cache applies to sampler 'fast' only.");
        }
        if (refresh != null) {
          throw new InvalidRequestException("refresh", "refresh applies to sampler 'fast' only.");
        }
        return null;
      }
      case "fast" -> {
        if (remasking != Remasking.LOW_CONFIDENCE) {
          throw new InvalidRequestException(
              "remasking",
              "sampler 'fast' ranks by confidence: it needs remasking 'low_confidence'.");
        }
        double tau = JsonFields.number(b, "threshold", 0.9, 0.0, 1.0);
        if (!(tau > 0)) {
          throw new InvalidRequestException("threshold", "threshold must be in (0, 1].");
        }
        boolean incremental = kind != Acceleration.Cache.NONE && !"whole".equals(refresh);
        if ("incremental".equals(refresh) && kind == Acceleration.Cache.NONE) {
          throw new InvalidRequestException("refresh", "refresh 'incremental' needs a cache.");
        }
        return new Acceleration(ParallelDecoding.threshold(tau), kind, true, incremental);
      }
      default ->
          throw new InvalidRequestException(
              "sampler", "sampler must be 'reference' or 'fast', got '" + sampler + "'.");
    }
  }

  /** Above any model's context: a length beyond it is refused here, before any narrowing. */
  static final int MAX_LENGTH = 1 << 20;

  /** A generation length under one of its three OpenAI/LLaDA names, range-checked as a long. */
  private static Long lengthField(JsonObject b, String name) {
    Integer v = positive(b, name, MAX_LENGTH);
    return v == null ? null : v.longValue();
  }

  /** An optional integer in {@code [1, max]}, checked on its exact value, named when wrong. */
  private static Integer positive(JsonObject b, String name, int max) {
    Long v = JsonFields.integer(b, name, null);
    if (v == null) {
      return null;
    }
    if (v < 1 || v > max) {
      throw new InvalidRequestException(
          name, "'" + name + "' must be between 1 and " + max + ", got " + v + ".");
    }
    return v.intValue();
  }

  /** {@code stop}: a string or up to 4 strings; the text is cut before the first one found. */
  static List<String> stop(JsonObject b) {
    if (!JsonFields.present(b, "stop")) {
      return List.of();
    }
    List<String> stops =
        b.get("stop") instanceof jakarta.json.JsonString s
            ? List.of(s.getString())
            : JsonFields.strings(b, "stop");
    if (stops.size() > 4 || stops.stream().anyMatch(String::isEmpty)) {
      throw new InvalidRequestException("stop", "stop takes up to 4 non-empty strings.");
    }
    return stops;
  }

  /** The index of the earliest stop string in {@code text}, or -1. */
  static int firstStop(String text, List<String> stops) {
    int best = -1;
    for (String s : stops) {
      int i = text.indexOf(s);
      if (i >= 0 && (best < 0 || i < best)) {
        best = i;
      }
    }
    return best;
  }
}

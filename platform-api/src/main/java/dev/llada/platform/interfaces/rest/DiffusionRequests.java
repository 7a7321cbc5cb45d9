package dev.llada.platform.interfaces.rest;

import dev.llada.core.sampling.Remasking;
import dev.llada.platform.application.DiffusionParams;
import dev.llada.platform.application.InvalidRequestException;
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
    Long maxTokens = JsonFields.integer(b, "max_tokens", null);
    Long maxCompletion = JsonFields.integer(b, "max_completion_tokens", null);
    Long genLength = JsonFields.integer(b, "gen_length", null);
    Long chosen = genLength != null ? genLength : maxCompletion != null ? maxCompletion : maxTokens;
    for (Long other : new Long[] {maxTokens, maxCompletion}) {
      if (other != null && chosen != null && !other.equals(chosen)) {
        throw new InvalidRequestException(
            "gen_length", "gen_length, max_tokens and max_completion_tokens disagree.");
      }
    }
    if (chosen != null && (chosen < 1 || chosen > 1 << 20)) {
      throw new InvalidRequestException("gen_length", "gen_length must be at least 1.");
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
    Long steps = JsonFields.integer(b, "steps", null);
    Long block = JsonFields.integer(b, "block_length", null);
    if (steps != null && (steps < 1 || steps > Integer.MAX_VALUE)) {
      throw new InvalidRequestException("steps", "steps must be at least 1.");
    }
    if (block != null && (block < 1 || block > Integer.MAX_VALUE)) {
      throw new InvalidRequestException("block_length", "block_length must be at least 1.");
    }
    return new DiffusionParams(
        steps == null ? null : steps.intValue(),
        chosen == null ? null : chosen.intValue(),
        block == null ? null : block.intValue(),
        JsonFields.number(b, "temperature", 0.0, 0.0, 2.0),
        JsonFields.number(b, "cfg_scale", 0.0, 0.0, 100.0),
        r,
        JsonFields.integer(b, "seed", null));
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

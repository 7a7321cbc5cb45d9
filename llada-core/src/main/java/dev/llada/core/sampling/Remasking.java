package dev.llada.core.sampling;

/** Which masked positions a step commits (llada-spec §2.5). */
public enum Remasking {
  /** Commit the predictions the model is most sure of: softmax probability of the chosen token. */
  LOW_CONFIDENCE,
  /** Commit a uniformly random subset of the masked positions of the block. */
  RANDOM;

  /** Parses {@code low_confidence} / {@code random} (the reference's spelling). */
  public static Remasking parse(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "low_confidence" -> LOW_CONFIDENCE;
      case "random" -> RANDOM;
      default ->
          throw new IllegalArgumentException(
              "remasking must be low_confidence or random, got '" + name + "'");
    };
  }
}

package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import java.util.ArrayList;
import java.util.List;

/** A mask predictor whose logits a test writes as a function; it records every call. */
public final class ScriptedPredictor implements MaskPredictor {

  /** Logits for one position of one row. */
  @FunctionalInterface
  public interface Script {
    float[] logits(int[] row, int position);
  }

  public record Call(int[][] tokens, boolean[][] attention, int from, int to) {}

  public final List<Call> calls = new ArrayList<>();
  private final LladaConfig config;
  private final Script script;

  public ScriptedPredictor(LladaConfig config, Script script) {
    this.config = config;
    this.script = script;
  }

  /** vocab 16: mask 15, EOS 14 (also padding); ids 0..13 are ordinary. */
  public static LladaConfig config16() {
    return new LladaConfig(8, 2, 2, 1, 16, 16, 16, 10000.0, 1e-5, 512, 15, 14, 14);
  }

  @Override
  public LladaConfig config() {
    return config;
  }

  @Override
  public Logits logits(int[][] tokens, boolean[][] attention, int from, int to) {
    int[][] copy = new int[tokens.length][];
    for (int r = 0; r < tokens.length; r++) {
      copy[r] = tokens[r].clone();
    }
    calls.add(new Call(copy, attention, from, to));
    int vocab = config.embeddingSize();
    float[] data = new float[tokens.length * (to - from) * vocab];
    for (int r = 0; r < tokens.length; r++) {
      for (int p = from; p < to; p++) {
        float[] l = script.logits(tokens[r], p);
        System.arraycopy(l, 0, data, (r * (to - from) + p - from) * vocab, vocab);
      }
    }
    return new Logits(tokens.length, to - from, vocab, data);
  }
}

package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import java.nio.file.Path;

/** {@link OracleForward} behind the {@link MaskPredictor} port, to run samplers on the oracle. */
public final class OracleMaskPredictor implements MaskPredictor {

  private final LladaConfig config;
  private final OracleForward oracle;

  public OracleMaskPredictor(Path modelDirectory) {
    this.config = LladaConfig.read(modelDirectory);
    try (Checkpoint checkpoint = Checkpoint.open(modelDirectory)) {
      this.oracle = new OracleForward(config, checkpoint);
    }
  }

  @Override
  public LladaConfig config() {
    return config;
  }

  @Override
  public Logits logits(int[][] tokens, boolean[][] attentionMask, int from, int to) {
    double[][][] full = oracle.logits(tokens, attentionMask);
    int vocab = config.embeddingSize();
    float[] data = new float[tokens.length * (to - from) * vocab];
    for (int r = 0; r < tokens.length; r++) {
      for (int p = from; p < to; p++) {
        for (int v = 0; v < vocab; v++) {
          data[(r * (to - from) + p - from) * vocab + v] = (float) full[r][p][v];
        }
      }
    }
    return new Logits(tokens.length, to - from, vocab, data);
  }
}

package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import java.nio.file.Path;

/**
 * {@link OracleForward} behind the {@link MaskPredictor} port, to run samplers on the oracle; it
 * keeps a KV cache the obvious way (float64 arrays of every layer's keys and values).
 */
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
    return logits(tokens, attentionMask, from, to, null);
  }

  @Override
  public boolean caches() {
    return true;
  }

  @Override
  public KvCache newCache() {
    return new Cache();
  }

  @Override
  public Logits logits(
      int[][] tokens, boolean[][] attentionMask, int from, int to, CacheStep step) {
    int t = tokens[0].length;
    double[][][] computed;
    int qf = 0;
    if (step == null) {
      computed = oracle.logits(tokens, attentionMask);
    } else {
      step.check(tokens.length, t, from, to);
      Cache cache = (Cache) step.cache();
      qf = step.queryFrom(t);
      if (step instanceof CacheStep.Refresh) {
        OracleForward.KeysAndValues kept = oracle.newKeysAndValues(tokens.length);
        computed = oracle.logits(tokens, attentionMask, null, 0, t, kept);
        cache.kv = kept;
        cache.rows = tokens.length;
        cache.length = t;
      } else {
        int row = step.row();
        int n = tokens.length;
        OracleForward.KeysAndValues rows =
            new OracleForward.KeysAndValues(
                java.util.Arrays.copyOfRange(cache.kv.keys(), row, row + n),
                java.util.Arrays.copyOfRange(cache.kv.values(), row, row + n));
        OracleForward.KeysAndValues kept =
            step instanceof CacheStep.Update ? oracle.newKeysAndValues(n) : null;
        computed = oracle.logits(tokens, attentionMask, rows, qf, step.queryTo(t), kept);
        if (step instanceof CacheStep.Update u) {
          Cache target = (Cache) u.target();
          target.kv = kept;
          target.rows = n;
          target.length = t;
        }
      }
    }
    int vocab = config.embeddingSize();
    float[] data = new float[tokens.length * (to - from) * vocab];
    for (int r = 0; r < tokens.length; r++) {
      for (int p = from; p < to; p++) {
        for (int v = 0; v < vocab; v++) {
          data[(r * (to - from) + p - from) * vocab + v] = (float) computed[r][p - qf][v];
        }
      }
    }
    return new Logits(tokens.length, to - from, vocab, data);
  }

  private final class Cache implements KvCache {
    OracleForward.KeysAndValues kv;
    int rows;
    int length;

    @Override
    public int rows() {
      return rows;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public long bytes() {
      return (long) rows * length * config.nLayers() * 2 * config.nKvHeads() * config.headDim() * 8;
    }

    @Override
    public void close() {
      kv = null;
      rows = 0;
      length = 0;
    }
  }
}

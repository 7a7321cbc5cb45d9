package dev.llada.core.model;

import ai.djl.pytorch.jni.IValue;

/**
 * A {@link KvCache} of the TorchScript forward: the list of every layer's K and V tensors (B, kv
 * heads, T, hd) it returned, held natively (never copied to Java), and freed when closed or
 * refreshed.
 */
final class DjlKvCache implements KvCache {

  private final long bytesPerRowPosition;
  private IValue keysAndValues;
  private int rows;
  private int length;

  /** bytes per (row, position): layers × 2 × kv heads × head dim × 4 (float32). */
  DjlKvCache(dev.llada.core.config.LladaConfig config) {
    this(config, Precision.FLOAT32);
  }

  /** bytes per (row, position): layers × 2 × kv heads × head dim × 4 (float32) or 2 (bfloat16). */
  DjlKvCache(dev.llada.core.config.LladaConfig config, Precision precision) {
    this.bytesPerRowPosition =
        (long) config.nLayers()
            * 2
            * config.nKvHeads()
            * config.headDim()
            * (precision == Precision.BFLOAT16 ? 2 : Float.BYTES);
  }

  /** The tensor list to pass to a cached forward. */
  IValue keysAndValues() {
    return keysAndValues;
  }

  /** Holds {@code fresh} (of a rows × length canvas) instead of what it held. */
  void replace(IValue fresh, int rows, int length) {
    close();
    this.keysAndValues = fresh;
    this.rows = rows;
    this.length = length;
  }

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
    return bytesPerRowPosition * rows * length;
  }

  @Override
  public void close() {
    if (keysAndValues != null) {
      keysAndValues.close();
      keysAndValues = null;
    }
    rows = 0;
    length = 0;
  }
}

package dev.llada.core.model;

/**
 * Every layer's keys and values for a canvas, kept between forwards: Fast-dLLM's block-wise
 * approximate KV cache (acceleration.md §2.1). A {@link CacheStep.Refresh} forward fills it from
 * the whole canvas; {@link CacheStep.Reuse} forwards compute a few positions and read the others'
 * keys and values from it, as they were at the refresh (the approximation: bidirectional attention
 * would have changed them). Made by {@link MaskPredictor#newCache}, owned and closed by its user;
 * not thread-safe.
 */
public interface KvCache extends AutoCloseable {

  /** Rows of the canvas it holds; 0 while empty. */
  int rows();

  /** Positions of the canvas it holds; 0 while empty. */
  int length();

  /** Memory it holds, in bytes (native or device memory). */
  long bytes();

  default boolean isEmpty() {
    return rows() == 0;
  }

  /** Frees what it holds; it is empty afterwards and may be refreshed again. */
  @Override
  void close();
}

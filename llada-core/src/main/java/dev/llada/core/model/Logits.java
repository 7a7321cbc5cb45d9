package dev.llada.core.model;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.function.BooleanSupplier;

/**
 * Logits for {@code rows × positions × vocab}, row-major: on the Java heap, or (from {@link
 * DjlMaskPredictor}) a view of the forward's own output tensor, read where the LM head wrote it
 * instead of being copied into a new heap array first: 4 MiB a forward at L = 256 and a 4,096-entry
 * vocabulary, 124 MiB at LLaDA's 126,464 (docs/BENCHMARKS.md).
 *
 * <p>{@link #close} frees native logits at once; a cleaner frees them when a caller forgets (at
 * some later GC). Reading closed logits throws {@link IllegalStateException} and never touches
 * freed memory. Not for concurrent use: one thread reads, then closes.
 */
public final class Logits implements AutoCloseable {

  /** The most values one Java-side read of logits takes: one buffer of at most 2³¹ − 1 bytes. */
  public static final long MAX_JAVA_VALUES = Integer.MAX_VALUE / Float.BYTES;

  private static final Cleaner CLEANER = Cleaner.create();

  private final int rows;
  private final int positions;
  private final int vocab;
  private final FloatBuffer data;

  /** Frees the native memory behind {@link #data}; null on the heap. */
  private final Cleaner.Cleanable release;

  /** Whether the memory behind {@link #data} is still there (its owner may close it first). */
  private final BooleanSupplier alive;

  private boolean closed;

  /**
   * Logits in a Java array.
   *
   * @param rows batch rows
   * @param positions sequence positions asked for (a window {@code [from, to)})
   * @param vocab LM-head rows (the embedding size)
   * @param data {@code rows * positions * vocab} values
   */
  public Logits(int rows, int positions, int vocab, float[] data) {
    this(rows, positions, vocab, FloatBuffer.wrap(data), null, () -> true);
  }

  private Logits(
      int rows, int positions, int vocab, FloatBuffer data, Runnable free, BooleanSupplier alive) {
    if ((long) rows * positions * vocab != data.capacity()) {
      throw new IllegalArgumentException(
          "logits data does not match " + rows + "x" + positions + "x" + vocab);
    }
    this.rows = rows;
    this.positions = positions;
    this.vocab = vocab;
    this.data = data;
    this.alive = alive;
    // the action holds only what frees the memory, never this object (or it would never run)
    this.release = free == null ? null : CLEANER.register(this, free);
  }

  /**
   * Logits viewing native memory that {@code free} releases and that is there while {@code alive}
   * says so (the memory's owner, e.g. the model, may be closed first); neither may refer to the
   * returned object.
   */
  static Logits ofNative(
      int rows, int positions, int vocab, FloatBuffer data, Runnable free, BooleanSupplier alive) {
    return new Logits(rows, positions, vocab, data, free, alive);
  }

  public int rows() {
    return rows;
  }

  public int positions() {
    return positions;
  }

  public int vocab() {
    return vocab;
  }

  /** Whether these logits view native memory (not a Java array). */
  public boolean isNative() {
    return release != null;
  }

  /** Index of the first vocabulary entry of (row, position). */
  public int offset(int row, int position) {
    return (row * positions + position) * vocab;
  }

  public float get(int row, int position, int token) {
    return get(offset(row, position) + token);
  }

  /** The value at a flat index ({@link #offset} + token). */
  public float get(int index) {
    checkOpen();
    try {
      return data.get(index);
    } finally {
      Reference.reachabilityFence(this); // the cleaner must not free the memory mid-read
    }
  }

  /** Copies {@code length} values from flat index {@code index} into {@code dst}. */
  public void read(int index, float[] dst, int dstOffset, int length) {
    checkOpen();
    try {
      data.get(index, dst, dstOffset, length);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** All values, copied into a new array. */
  public float[] toArray() {
    float[] out = new float[data.capacity()];
    read(0, out, 0, out.length);
    return out;
  }

  private void checkOpen() {
    if (closed || !alive.getAsBoolean()) {
      throw new IllegalStateException("logits read after close (of the logits or their model)");
    }
  }

  /**
   * Frees native logits now; idempotent. Heap logits are closed too (reading them afterwards throws
   * as well), so a reader that outlives its logits fails the same way on either kind.
   */
  @Override
  public void close() {
    closed = true;
    if (release != null) {
      release.clean();
    }
  }
}

package dev.llada.core.model;

import java.util.Objects;

/** How a forward uses a {@link KvCache}: fill it from the whole canvas, or read it. */
public sealed interface CacheStep permits CacheStep.Refresh, CacheStep.Reuse, CacheStep.Update {

  KvCache cache();

  /** First position the forward computes, on a canvas of {@code length}. */
  int queryFrom(int length);

  /** One past the last position the forward computes. */
  int queryTo(int length);

  /** Every position computed; their keys and values replace what the cache held. */
  record Refresh(KvCache cache) implements CacheStep {
    public Refresh {
      Objects.requireNonNull(cache, "cache");
    }

    @Override
    public int queryFrom(int length) {
      return 0;
    }

    @Override
    public int queryTo(int length) {
      return length;
    }
  }

  /**
   * Positions {@code [from, to)} computed (with RoPE at their own positions); the keys and values
   * of the other positions are the cache's. Fast-dLLM's prefix cache queries from the block's start
   * to the end of the canvas, its dual cache only the block.
   */
  record Reuse(KvCache cache, int from, int to, int row) implements CacheStep {
    public Reuse {
      Objects.requireNonNull(cache, "cache");
      if (from < 0 || to <= from) {
        throw new IllegalArgumentException("a cached forward computes [" + from + ", " + to + ")");
      }
      if (row < 0) {
        throw new IllegalArgumentException("cache row " + row);
      }
    }

    /** A forward of all the cache's rows. */
    public Reuse(KvCache cache, int from, int to) {
      this(cache, from, to, 0);
    }

    @Override
    public int queryFrom(int length) {
      return from;
    }

    @Override
    public int queryTo(int length) {
      return to;
    }
  }

  /**
   * Positions {@code [from, length)} computed against the cached keys and values of the positions
   * before them (rows {@code [row, row + rows)} of {@code cache}); the cache's keys and values
   * before {@code from} and this forward's from {@code from} on are then held by {@code target}
   * (which may be {@code cache}): a refresh that keeps what was decoded before (the prompt and the
   * earlier blocks) instead of recomputing the whole canvas.
   */
  record Update(KvCache cache, int from, int row, KvCache target) implements CacheStep {
    public Update {
      Objects.requireNonNull(cache, "cache");
      Objects.requireNonNull(target, "target");
      if (from < 0 || row < 0) {
        throw new IllegalArgumentException("an update computes from " + from + ", row " + row);
      }
    }

    @Override
    public int queryFrom(int length) {
      return from;
    }

    @Override
    public int queryTo(int length) {
      return length;
    }
  }

  /** The first row of the cache this step's forward reads (0 but for a batch's cached rows). */
  default int row() {
    return 0; // Reuse and Update name theirs
  }

  /** Whether this step can serve logits of {@code [from, to)} of a canvas of {@code length}. */
  default void check(int rows, int length, int from, int to) {
    int qf = queryFrom(length);
    int qt = queryTo(length);
    if (qt > length) {
      throw new IllegalArgumentException(
          "a cached forward computes up to " + qt + ", past the canvas of " + length);
    }
    if (from < qf || to > qt) {
      throw new IllegalArgumentException(
          "logits of [" + from + ", " + to + ") asked of a forward of [" + qf + ", " + qt + ")");
    }
    if (!(this instanceof Refresh)) {
      if (cache().isEmpty()) {
        throw new IllegalStateException("the cache is empty: refresh it first");
      }
      int first = row();
      if (first + rows > cache().rows() || cache().length() != length) {
        throw new IllegalArgumentException(
            "the cache holds "
                + cache().rows()
                + " rows of "
                + cache().length()
                + " positions"
                + ", the forward asks rows "
                + first
                + ".."
                + (first + rows)
                + " of a canvas of "
                + length);
      }
    }
  }
}

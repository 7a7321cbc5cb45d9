package dev.llada.vrpo;

import java.util.SplittableRandom;

/** Epoch-wise shuffles of the dataset: the g-th pair drawn is {@code at(g)}. */
final class PairOrder {
  private final int size;
  private final long seed;
  private long epoch = -1;
  private int[] perm;

  PairOrder(int size, long seed) {
    this.size = size;
    this.seed = seed;
  }

  int at(long g) {
    long e = g / size;
    if (e != epoch) {
      perm = new int[size];
      for (int i = 0; i < size; i++) {
        perm[i] = i;
      }
      SplittableRandom r = new SplittableRandom(seed * 31 + e);
      for (int i = size - 1; i > 0; i--) { // Fisher–Yates
        int j = r.nextInt(i + 1);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
      epoch = e;
    }
    return perm[(int) (g % size)];
  }
}

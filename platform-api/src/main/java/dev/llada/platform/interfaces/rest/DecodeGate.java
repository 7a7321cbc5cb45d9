package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.ServiceUnavailableException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * How many requests decode images at once (each holds one full-size image while it decodes, up to
 * {@code llada.images.max-pixels} × 4 bytes): the HTTP threads are many, the cores few, so without
 * a bound a burst of image requests would hold dozens of full-size images in the heap together. A
 * request that cannot start decoding within {@link #WAIT_MILLIS} is refused before it reserves
 * anything: {@code 503 platform_busy} with {@code Retry-After: 1}, as a full queue is.
 */
final class DecodeGate {

  /** How long a request waits for a decoding turn. */
  static final long WAIT_MILLIS = 2_000;

  private final Semaphore turns;
  private final long waitMillis;

  DecodeGate(int concurrent) {
    this(concurrent, WAIT_MILLIS);
  }

  DecodeGate(int concurrent, long waitMillis) {
    if (concurrent < 1) {
      throw new IllegalArgumentException("llada.images.max-concurrent-decodes must be >= 1");
    }
    this.turns = new Semaphore(concurrent, true);
    this.waitMillis = waitMillis;
  }

  /** A turn, held until closed; or 503 when none comes in time. */
  Turn enter() {
    boolean got;
    try {
      got = turns.tryAcquire(waitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      got = false;
    }
    if (!got) {
      throw new ServiceUnavailableException(
          "platform_busy",
          "Too many requests are decoding images right now; retry in a second.",
          1);
    }
    java.util.concurrent.atomic.AtomicBoolean open =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    return () -> {
      if (open.compareAndSet(true, false)) { // a second close gives nothing back twice
        turns.release();
      }
    };
  }

  /** A decoding turn. */
  @FunctionalInterface
  interface Turn extends AutoCloseable {
    @Override
    void close();
  }
}

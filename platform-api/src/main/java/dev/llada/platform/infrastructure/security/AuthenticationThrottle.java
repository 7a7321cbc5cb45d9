package dev.llada.platform.infrastructure.security;

import dev.llada.platform.domain.QuotaExceededException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed authentications per source (OWASP API2: brute force): once a source has failed {@code
 * limit} times within the last minute, every request from it is refused with 429 and {@code
 * Retry-After} until the oldest of those failures is a minute old, before its credential is even
 * looked at. A sliding window, per process; a source is the connection's peer address. {@code
 * limit} 0 turns it off.
 */
public final class AuthenticationThrottle {

  /** How many sources are remembered at most; those without a recent failure are dropped first. */
  static final int MAX_SOURCES = 100_000;

  private static final long WINDOW_MILLIS = 60_000;

  /** The times of a source's last {@code limit} failures, a ring. */
  private static final class Failures {
    final long[] at;
    int next;
    int count;

    Failures(int limit) {
      at = new long[limit];
    }

    synchronized void add(long now) {
      at[next] = now;
      next = (next + 1) % at.length;
      count = Math.min(count + 1, at.length);
    }

    /** When the oldest remembered failure happened, if the ring is full; else -1. */
    synchronized long oldestOfFull() {
      return count < at.length ? -1 : at[next];
    }

    synchronized long newest() {
      return count == 0 ? 0 : at[(next - 1 + at.length) % at.length];
    }
  }

  private final int limit;
  private final Clock clock;
  private final Map<String, Failures> sources = new ConcurrentHashMap<>();

  public AuthenticationThrottle(int limit, Clock clock) {
    this.limit = limit;
    this.clock = clock;
  }

  /** Refuses a source that has failed {@code limit} times in the last minute. */
  public void check(String source) {
    if (limit <= 0) {
      return;
    }
    Failures f = sources.get(source);
    if (f == null) {
      return;
    }
    long oldest = f.oldestOfFull();
    long now = clock.millis();
    if (oldest >= 0 && now - oldest < WINDOW_MILLIS) {
      long retryAfter = Math.max(1, (oldest + WINDOW_MILLIS - now + 999) / 1000);
      throw new QuotaExceededException(
          "too_many_failed_authentications",
          "Too many failed authentications from this address; try again in " + retryAfter + " s.",
          null,
          retryAfter);
    }
  }

  /** Counts one failed authentication of {@code source}. */
  public void failed(String source) {
    if (limit <= 0) {
      return;
    }
    long now = clock.millis();
    if (sources.size() >= MAX_SOURCES) {
      sources.values().removeIf(f -> now - f.newest() >= WINDOW_MILLIS);
    }
    sources.computeIfAbsent(source, s -> new Failures(limit)).add(now);
  }
}

package dev.llada.platform.application;

import java.time.Duration;

/**
 * Port: the one lease primitive (ARCHITECTURE.md, "One lease mechanism"; docs/adr/0006). Work that
 * must run once across every platform JVM on the database does so only while this JVM holds the
 * work's lease.
 */
public interface LeaderLease {

  /**
   * Takes or renews the lease {@code name} for this JVM for {@code ttl}; true while this JVM holds
   * it, false when another does (or the database cannot say: fail closed, nothing runs twice).
   */
  boolean hold(String name, Duration ttl);

  /**
   * Gives the lease up if this JVM holds it (on shutdown), so another may take it at once; false
   * when the database could not be told (the lease then expires by itself).
   */
  boolean release(String name);

  /** The name this JVM holds leases under (as the {@code lease} table shows it). */
  String holder();
}

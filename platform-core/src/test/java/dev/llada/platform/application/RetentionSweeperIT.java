package dev.llada.platform.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import dev.llada.db.Leases;
import dev.llada.db.Migrations;
import java.nio.file.Files;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two platform JVMs on one database, as two sweepers with their own lease holders on the real
 * PostgreSQL: in every round exactly one sweeps, and it is the same one while it lives (issue #14:
 * sweepers run once across JVMs).
 */
class RetentionSweeperIT {

  private static EmbeddedDatabase db;

  @BeforeAll
  static void database() throws Exception {
    db =
        EmbeddedDatabase.start(
            Files.createTempDirectory("sweeper-it").resolve("pg"),
            Integer.getInteger("it.db.port", 18433),
            false);
    Migrations.migrate(db.dataSource());
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
  }

  private final AtomicInteger sweeps = new AtomicInteger();

  private RetentionSweeper jvm(String holder) throws Exception {
    Leases leases = new Leases(db.dataSource());
    RetentionSweeper s = new RetentionSweeper();
    s.requestLogDays = 30;
    s.sweepSeconds = 60;
    s.idempotency =
        new Stubs.Idempotency() {
          @Override
          public int purgeExpired() {
            sweeps.incrementAndGet();
            return 0;
          }
        };
    s.requestLog = new Stubs.Log();
    s.ledger = new Stubs.Ledger();
    s.lifecycle =
        new TenantLifecycle() {
          @Override
          public int finishDeletions() {
            return 0;
          }
        };
    s.lease =
        new LeaderLease() {
          @Override
          public boolean hold(String name, java.time.Duration ttl) {
            try {
              return leases.tryAcquire(name + "-" + testRun, holder, ttl);
            } catch (SQLException e) {
              return false;
            }
          }

          @Override
          public boolean release(String name) {
            return true;
          }

          @Override
          public String holder() {
            return holder;
          }
        };
    return s;
  }

  private final String testRun = UUID.randomUUID().toString().substring(0, 8);

  @Test
  void twoJvmsOnOneDatabaseSweepOnceARound() throws Exception {
    List<RetentionSweeper> jvms = List.of(jvm("jvm-a"), jvm("jvm-b"));
    String leader = null;
    for (int round = 0; round < 10; round++) {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<Boolean>> runs =
          jvms.stream()
              .map(
                  s ->
                      CompletableFuture.supplyAsync(
                          () -> {
                            try {
                              go.await();
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                            return s.sweepIfLeader().isPresent();
                          }))
              .toList();
      sweeps.set(0);
      go.countDown();
      boolean a = runs.get(0).get();
      boolean b = runs.get(1).get();
      assertTrue(a ^ b, "round " + round + ": exactly one sweeps (a " + a + ", b " + b + ")");
      assertEquals(1, sweeps.get());
      String now = a ? "jvm-a" : "jvm-b";
      if (leader != null) {
        assertEquals(leader, now, "the holder keeps the lease while it lives");
      }
      leader = now;
    }
    assertFalse(jvms.isEmpty());
  }

  /** Reservations the sweep settles as EXPIRED count in llada_requests_total{outcome=expired}. */
  @Test
  void expiredReservationsAreCountedAsRequestsThatEnded() throws Exception {
    RetentionSweeper s = jvm("jvm-expiry");
    s.ledger =
        new Stubs.Ledger() {
          @Override
          public int expire(UUID tenantId, int limit) {
            return 3;
          }
        };
    List<Outcome> counted = new java.util.ArrayList<>();
    s.metrics = counted::add;
    assertEquals(3, s.sweepIfLeader().orElseThrow().expiredReservations());
    assertEquals(List.of(Outcome.EXPIRED, Outcome.EXPIRED, Outcome.EXPIRED), counted);
  }
}

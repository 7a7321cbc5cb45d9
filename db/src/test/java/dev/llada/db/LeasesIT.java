package dev.llada.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one lease primitive on a real PostgreSQL: exclusive, renewable, taken over on expiry. */
class LeasesIT {

  private static final int PORT = Integer.getInteger("it.db.port", 18433);

  @TempDir Path temp;

  @Test
  void oneHolderAtATimeRenewedByItTakenOverOnceExpired() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), PORT, false)) {
      Migrations.migrate(db.dataSource());
      Leases leases = new Leases(db.dataSource());
      assertTrue(leases.tryAcquire("sweeper", "jvm-a", Duration.ofSeconds(2)));
      assertFalse(leases.tryAcquire("sweeper", "jvm-b", Duration.ofSeconds(2)), "held by a");
      assertTrue(leases.tryAcquire("sweeper", "jvm-a", Duration.ofSeconds(2)), "a renews");
      assertEquals(Optional.of("jvm-a"), leases.holder("sweeper"));
      assertTrue(leases.tryAcquire("other", "jvm-b", Duration.ofSeconds(60)), "names are apart");
      Thread.sleep(2_300);
      assertEquals(Optional.empty(), leases.holder("sweeper"), "expired");
      assertTrue(leases.tryAcquire("sweeper", "jvm-b", Duration.ofSeconds(30)), "b takes over");
      assertFalse(leases.tryAcquire("sweeper", "jvm-a", Duration.ofSeconds(30)), "a lost it");
      leases.release("sweeper", "jvm-a"); // not a's: nothing happens
      assertEquals(Optional.of("jvm-b"), leases.holder("sweeper"));
      leases.release("sweeper", "jvm-b");
      assertTrue(leases.tryAcquire("sweeper", "jvm-a", Duration.ofSeconds(30)), "free again");
      assertThrows(
          IllegalArgumentException.class,
          () -> leases.tryAcquire("sweeper", "jvm-a", Duration.ZERO));
      assertThrows(
          SQLException.class, () -> leases.tryAcquire("Not A Name", "x", Duration.ofSeconds(1)));
    }
  }

  /** Sixteen contenders, as many JVMs would be, for one free lease: exactly one wins, each time. */
  @Test
  void racingContendersNeverBothWin() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), PORT, false)) {
      Migrations.migrate(db.dataSource());
      Leases leases = new Leases(db.dataSource());
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        for (int round = 0; round < 20; round++) {
          String name = "race-" + round;
          CountDownLatch go = new CountDownLatch(1);
          List<Future<Boolean>> runs = new ArrayList<>();
          for (int i = 0; i < 16; i++) {
            String holder = "jvm-" + i;
            Callable<Boolean> take =
                () -> {
                  go.await();
                  return leases.tryAcquire(name, holder, Duration.ofSeconds(30));
                };
            runs.add(pool.submit(take));
          }
          go.countDown();
          int winners = 0;
          for (Future<Boolean> r : runs) {
            winners += r.get() ? 1 : 0;
          }
          assertEquals(1, winners, "round " + round);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}

package dev.llada.platform.infrastructure.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import dev.llada.db.Migrations;
import dev.llada.platform.application.Batch;
import dev.llada.platform.application.BatchStore;
import dev.llada.platform.application.BatchStore.Attempt;
import dev.llada.platform.application.BatchStore.End;
import dev.llada.platform.application.BatchStore.Settlement;
import dev.llada.platform.application.Outcome;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.Scope;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batch queue's statements on the real PostgreSQL (docs/adr/0020): an answer is kept only with
 * its charge — an attempt whose reservation expired first (settled uncharged) gives its item back
 * to run again, and the next attempt's answer and charge are the item's; an attempt that lost its
 * item is charged nothing; renewals extend only the attempts named; the batches being stopped say
 * why.
 */
class JdbcBatchStoreIT {

  private static EmbeddedDatabase db;
  private static JdbcBatchStore store;
  private static JdbcQuotaLedger ledger;

  @BeforeAll
  static void database() throws Exception {
    db =
        EmbeddedDatabase.start(
            Files.createTempDirectory("batch-store-it").resolve("pg"),
            Integer.getInteger("it.db.port", 18433),
            false);
    Migrations.migrate(db.dataSource());
    store = new JdbcBatchStore();
    store.dataSource = db.dataSource(); // no container: Sql.run makes each call one transaction
    ledger = new JdbcQuotaLedger();
    ledger.dataSource = db.dataSource();
  }

  /** Each test leases from its own batches only. */
  @org.junit.jupiter.api.BeforeEach
  void othersEnded() throws Exception {
    update("UPDATE batch SET status = 'completed' WHERE status = 'in_progress'");
  }

  @AfterAll
  static void stop() throws Exception {
    db.close();
  }

  private static long query(String sql, Object... args) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static void update(String sql, Object... args) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      ps.executeUpdate();
    }
  }

  private static Caller tenant(String slug) throws Exception {
    UUID id = UUID.randomUUID();
    update("INSERT INTO tenant (id, slug, display_name) VALUES (?, ?, ?)", id, slug, slug);
    return new Caller(id, slug, null, "user:" + slug, Set.of(Scope.INFERENCE), false);
  }

  private static Batch batch(Caller caller, String id, int items) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    Batch b =
        new Batch(
            id,
            caller.tenantId(),
            null,
            caller.keyPrefix(),
            "inference",
            "/v1/completions",
            "file-000000000000000000000000",
            "24h",
            "in_progress",
            null,
            null,
            null,
            null,
            new Batch.Times(
                now, now, now.plus(Duration.ofHours(1)), null, null, null, null, null, null),
            new Batch.Counts(items, 0, 0, 0, 0));
    store.create(
        b,
        sink -> {
          for (int line = 1; line <= items; line++) {
            sink.accept(new BatchStore.NewItem(line, "r" + line, "{\"model\":\"m\"}"));
          }
        });
    return b;
  }

  private static Reservation reserve(Caller caller, Attempt a) {
    return ledger.reserve(
        a.requestId(), caller, "m", "/v1/completions", 3, 8, 100, Duration.ofMinutes(5));
  }

  /** The attempt outlived its reservation: the sweep settled it, with nothing charged. */
  private static void outlived(Caller caller, Attempt a) throws Exception {
    update(
        "UPDATE reservation_lease SET expires_at = now() - interval '1 second'"
            + " WHERE request_id = ?",
        a.requestId());
    assertEquals(1, ledger.expire(caller.tenantId(), 10));
  }

  @Test
  void workOnAConnectionOutsideATransactionIsOneTransactionAllTheSame() throws Exception {
    Caller caller = tenant("atomic");
    // Payara hands out such connections on its managed threads: all of the work or none of it
    assertThrows(
        RuntimeException.class,
        () ->
            Sql.run(
                db.dataSource(),
                c -> {
                  Sql.update(
                      c,
                      "UPDATE tenant SET display_name = 'changed' WHERE id = ?",
                      caller.tenantId());
                  throw new java.sql.SQLException("the second statement fails", "23505");
                },
                Sql::databaseUnavailable));
    assertEquals(
        0,
        query(
            "SELECT count(*) FROM tenant WHERE id = ? AND display_name = 'changed'",
            caller.tenantId()));
  }

  @Test
  void anAnswerIsKeptOnlyWithItsChargeAndOtherwiseRunsAgain() throws Exception {
    Caller caller = tenant("late");
    Batch b = batch(caller, "batch_00000000000000000000000a", 1);
    Attempt first = store.lease("jvm-a", 1, Duration.ofSeconds(30)).get(0);
    Reservation r1 = reserve(caller, first);
    outlived(caller, first);
    assertFalse(
        store.finish(
            first,
            End.succeeded("{\"answer\":1}", 3, 8),
            new Settlement(r1, Outcome.SUCCESS, 8, 100),
            null),
        "an answer nobody paid for is not kept");
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM batch_item WHERE batch_id = ? AND state = 'pending'"
                + " AND holder IS NULL AND response IS NULL",
            b.id()));
    assertEquals(
        0,
        query(
            "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                + " AND tenant_id = ?",
            caller.tenantId()));

    // it runs again, and this attempt's answer and charge are the item's
    Attempt second = store.lease("jvm-b", 1, Duration.ofSeconds(30)).get(0);
    assertEquals(2, second.attempt());
    assertNotEquals(first.requestId(), second.requestId());
    Reservation r2 = reserve(caller, second);
    assertTrue(
        store.finish(
            second,
            End.succeeded("{\"answer\":2}", 3, 8),
            new Settlement(r2, Outcome.SUCCESS, 8, 100),
            null));
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM batch_item WHERE batch_id = ? AND state = 'succeeded'"
                + " AND request_id = ? AND response = '{\"answer\":2}'",
            b.id(),
            second.requestId()));
    assertEquals(
        100,
        query(
            "SELECT sum(compute_units) FROM usage_ledger WHERE entry = 'SETTLE'"
                + " AND tenant_id = ?",
            caller.tenantId()),
        "charged once: the expired attempt paid nothing");
    assertEquals(
        0, query("SELECT count(*) FROM reservation_lease WHERE tenant_id = ?", caller.tenantId()));
  }

  @Test
  void anItemWhoseAnswersKeepComingUnpaidEndsWithTheEndItWasGiven() throws Exception {
    Caller caller = tenant("unpaid");
    Batch b = batch(caller, "batch_00000000000000000000000f", 1);
    Attempt a = store.lease("jvm-a", 1, Duration.ofSeconds(30)).get(0);
    Reservation r = reserve(caller, a);
    outlived(caller, a);
    assertFalse(
        store.finish(
            a,
            End.succeeded("{\"answer\":1}", 3, 8),
            new Settlement(r, Outcome.SUCCESS, 8, 100),
            End.failed(503, "{\"error\":{\"code\":\"reservation_expired\"}}")));
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM batch_item WHERE batch_id = ? AND state = 'failed'"
                + " AND status_code = 503 AND response LIKE '%reservation_expired%'",
            b.id()));
    assertEquals(
        0,
        query(
            "SELECT coalesce(sum(compute_units), 0) FROM usage_ledger WHERE entry = 'SETTLE'"
                + " AND tenant_id = ?",
            caller.tenantId()));
  }

  @Test
  void anAttemptThatLostItsItemIsChargedNothing() throws Exception {
    Caller caller = tenant("lost");
    Batch b = batch(caller, "batch_00000000000000000000000b", 1);
    Attempt stale = store.lease("jvm-a", 1, Duration.ofSeconds(30)).get(0);
    Reservation r1 = reserve(caller, stale);
    update(
        "UPDATE batch_item SET lease_expires_at = now() - interval '1 second' WHERE batch_id = ?",
        b.id());
    Attempt taken = store.lease("jvm-b", 1, Duration.ofSeconds(30)).get(0);
    assertEquals(stale.line(), taken.line());
    assertFalse(
        store.finish(
            stale,
            End.succeeded("{\"late\":true}", 3, 8),
            new Settlement(r1, Outcome.SUCCESS, 8, 100),
            null));
    assertEquals(
        0,
        query(
            "SELECT coalesce(sum(compute_units), 0) FROM usage_ledger WHERE entry = 'SETTLE'"
                + " AND tenant_id = ?",
            caller.tenantId()));
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'EXPIRED'"
                + " AND request_id = ?",
            stale.requestId()),
        "its answer is not the item's: not a SUCCESS");
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM batch_item WHERE batch_id = ? AND state = 'running'"
                + " AND holder = 'jvm-b' AND request_id = ?",
            b.id(),
            taken.requestId()));
  }

  @Test
  void renewalsExtendOnlyTheAttemptsNamedAndStoppingBatchesSayWhy() throws Exception {
    Caller caller = tenant("renew");
    Batch b = batch(caller, "batch_00000000000000000000000c", 2);
    List<Attempt> two = store.lease("jvm-r", 2, Duration.ofSeconds(2));
    assertEquals(2, two.size());
    assertEquals(1, store.renew("jvm-r", List.of(two.get(0).requestId()), Duration.ofMinutes(10)));
    assertEquals(
        0, store.renew("jvm-other", List.of(two.get(1).requestId()), Duration.ofMinutes(10)));
    assertEquals(
        1,
        query(
            "SELECT count(*) FROM batch_item WHERE batch_id = ?"
                + " AND lease_expires_at > now() + interval '5 minutes'",
            b.id()));

    Batch ended = batch(caller, "batch_00000000000000000000000d", 1);
    update("UPDATE batch SET expires_at = now() - interval '1 second' WHERE id = ?", ended.id());
    Batch cancelled = batch(caller, "batch_00000000000000000000000e", 1);
    store.cancel(caller.tenantId(), cancelled.id());
    Map<String, String> stopping =
        store.stopping(
            List.of(b.id(), ended.id(), cancelled.id(), "batch_00000000000000000000ffff"));
    assertEquals(
        Map.of(
            ended.id(),
            "expired",
            cancelled.id(),
            "cancelled",
            "batch_00000000000000000000ffff",
            "cancelled"),
        stopping);
  }
}

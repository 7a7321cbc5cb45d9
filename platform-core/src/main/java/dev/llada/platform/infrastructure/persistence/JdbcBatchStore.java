package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.Batch;
import dev.llada.platform.application.BatchStore;
import dev.llada.platform.application.Outcome;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link BatchStore} in PostgreSQL ({@code V14__batches.sql}; docs/adr/0020). Items are leased with
 * {@code FOR UPDATE SKIP LOCKED} (two JVMs never lease one item; neither waits for the other) and
 * an expiry on the database's clock; a batch's counts are the aggregate of its items, never a
 * counter to keep in step. An item's end is written only while the attempt still owns it (its
 * request id), in the transaction that settles the attempt's reservation
 * (JdbcQuotaLedger.settleIn).
 *
 * <p>Longer than ~300 lines on purpose: it is the one owner of {@code batch} and {@code batch_item}
 * (TableOwnershipTest), and the queue's statements (lease, renew, finish, release, expiry, the end)
 * must agree on one set of item states, written once here in SQL.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcBatchStore implements BatchStore {

  private static final String SELECT =
      "SELECT b.*, c.total, c.completed, c.failed, c.prompt_tokens, c.completion_tokens"
          + " FROM batch b LEFT JOIN LATERAL (SELECT count(*) AS total,"
          + " count(*) FILTER (WHERE i.state = 'succeeded') AS completed,"
          + " count(*) FILTER (WHERE i.state = 'failed') AS failed,"
          + " coalesce(sum(i.prompt_tokens), 0) AS prompt_tokens,"
          + " coalesce(sum(i.completion_tokens), 0) AS completion_tokens"
          + " FROM batch_item i WHERE i.batch_id = b.id) c ON true";

  private static final Set<String> FINAL = Set.of("completed", "expired", "cancelled");

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  private <T> T db(Sql.Work<T> work) {
    return Sql.run(dataSource, work, Sql::databaseUnavailable);
  }

  @Override
  public void create(Batch b, Items items) {
    db(
        c -> {
          Batch.Times t = b.times();
          Sql.update(
              c,
              "INSERT INTO batch (id, tenant_id, api_key_id, actor, scopes, endpoint, input_file_id,"
                  + " completion_window, status, metadata, errors, created_at, in_progress_at,"
                  + " expires_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              b.id(),
              b.tenantId(),
              b.apiKeyId(),
              b.actor(),
              b.scopes(),
              b.endpoint(),
              b.inputFileId(),
              b.completionWindow(),
              b.status(),
              b.metadata(),
              b.errors(),
              t.createdAt(),
              t.inProgressAt(),
              t.expiresAt(),
              t.failedAt());
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO batch_item (batch_id, line, custom_id, body) VALUES (?, ?, ?, ?)")) {
            int[] n = {0};
            try {
              items.forEach(
                  item -> {
                    try {
                      ps.setString(1, b.id());
                      ps.setInt(2, item.line());
                      ps.setString(3, item.customId());
                      ps.setString(4, item.body());
                      ps.addBatch();
                      if (++n[0] % 1000 == 0) {
                        ps.executeBatch();
                      }
                    } catch (SQLException e) {
                      throw new Unchecked(e);
                    }
                  });
            } catch (Unchecked e) {
              throw e.getCause();
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  @Override
  public Optional<Batch> find(UUID tenantId, String id) {
    return db(c -> find(c, tenantId, id));
  }

  private static Optional<Batch> find(Connection c, UUID tenantId, String id) throws SQLException {
    return Sql.one(
        c, SELECT + " WHERE b.id = ? AND b.tenant_id = ?", JdbcBatchStore::batch, id, tenantId);
  }

  @Override
  public List<Batch> list(UUID tenantId, String after, int limit) {
    return db(
        c ->
            after == null
                ? Sql.list(
                    c,
                    SELECT + " WHERE b.tenant_id = ? ORDER BY b.created_at DESC, b.id DESC LIMIT ?",
                    JdbcBatchStore::batch,
                    tenantId,
                    limit)
                : Sql.list(
                    c,
                    SELECT
                        + " WHERE b.tenant_id = ? AND (b.created_at, b.id) < (SELECT a.created_at,"
                        + " a.id FROM batch a WHERE a.id = ? AND a.tenant_id = ?)"
                        + " ORDER BY b.created_at DESC, b.id DESC LIMIT ?",
                    JdbcBatchStore::batch,
                    tenantId,
                    after,
                    tenantId,
                    limit));
  }

  @Override
  public Optional<Batch> cancel(UUID tenantId, String id) {
    return db(
        c -> {
          Optional<String> status =
              Sql.one(
                  c,
                  "SELECT status FROM batch WHERE id = ? AND tenant_id = ? FOR UPDATE",
                  rs -> rs.getString(1),
                  id,
                  tenantId);
          if (status.isPresent() && Set.of("validating", "in_progress").contains(status.get())) {
            Sql.update(
                c,
                "UPDATE batch SET status = 'cancelling', cancelling_at = now() WHERE id = ?",
                id);
            Sql.update(
                c,
                "UPDATE batch_item SET state = 'cancelled', finished_at = now()"
                    + " WHERE batch_id = ? AND state = 'pending'",
                id);
          }
          return find(c, tenantId, id);
        });
  }

  @Override
  public List<Attempt> lease(String holder, int n, Duration lease) {
    if (n < 1) {
      return List.of();
    }
    return db(
        c ->
            Sql.list(
                c,
                "WITH picked AS (SELECT i.batch_id, i.line FROM batch_item i"
                    + " JOIN batch b ON b.id = i.batch_id"
                    + " WHERE b.status = 'in_progress' AND b.expires_at > now()"
                    + " AND ((i.state = 'pending' AND (i.not_before IS NULL OR i.not_before <="
                    + " now())) OR (i.state = 'running' AND i.lease_expires_at <= now()))"
                    + " ORDER BY b.created_at, i.batch_id, i.line LIMIT ?"
                    + " FOR UPDATE OF i SKIP LOCKED)"
                    + " UPDATE batch_item i SET state = 'running', holder = ?,"
                    + " lease_expires_at = now() + make_interval(secs => ?),"
                    + " attempts = i.attempts + 1, request_id = gen_random_uuid(), not_before = NULL"
                    + " FROM picked, batch b"
                    + " WHERE i.batch_id = picked.batch_id AND i.line = picked.line"
                    + " AND b.id = i.batch_id"
                    + " RETURNING i.batch_id, b.tenant_id, b.api_key_id, b.actor, b.scopes,"
                    + " b.endpoint, i.line, i.custom_id, i.body, i.request_id, i.attempts",
                rs ->
                    new Attempt(
                        rs.getString("batch_id"),
                        Sql.uuid(rs, "tenant_id"),
                        Sql.uuid(rs, "api_key_id"),
                        rs.getString("actor"),
                        rs.getString("scopes"),
                        rs.getString("endpoint"),
                        rs.getInt("line"),
                        rs.getString("custom_id"),
                        rs.getString("body"),
                        Sql.uuid(rs, "request_id"),
                        rs.getInt("attempts")),
                n,
                holder,
                lease.toMillis() / 1000.0));
  }

  @Override
  public int renew(String holder, Collection<UUID> requestIds, Duration lease) {
    if (requestIds.isEmpty()) {
      return 0;
    }
    return db(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE batch_item SET lease_expires_at = now() + make_interval(secs => ?)"
                      + " WHERE holder = ? AND state = 'running' AND request_id = ANY(?)")) {
            ps.setDouble(1, lease.toMillis() / 1000.0);
            ps.setString(2, holder);
            ps.setArray(3, c.createArrayOf("uuid", requestIds.toArray()));
            return ps.executeUpdate();
          }
        });
  }

  @Override
  public boolean finish(Attempt a, End end, Settlement s, End unpaid) {
    return db(
        c -> {
          inTransaction(c);
          // the item first, then (in settleIn) its tenant: the order every writer locks in
          boolean ours =
              Sql.one(
                      c,
                      "SELECT 1 FROM batch_item WHERE batch_id = ? AND line = ? AND request_id = ?"
                          + " AND state = 'running' FOR UPDATE",
                      rs -> 1,
                      a.batchId(),
                      a.line(),
                      a.requestId())
                  .isPresent();
          if (!ours) { // its lease ended and another attempt has it: this one is charged nothing
            if (s != null) {
              JdbcQuotaLedger.settleIn(c, s.reservation(), Outcome.EXPIRED, 0, 0);
            }
            return false;
          }
          if (s != null
              && !JdbcQuotaLedger.settleIn(
                  c, s.reservation(), s.outcome(), s.completionTokens(), s.units())) {
            // its reservation expired first (settled uncharged): an answer nobody paid for is
            // not kept; the item runs again, and that attempt pays
            if (unpaid == null) {
              Sql.update(
                  c,
                  "UPDATE batch_item SET state = 'pending', holder = NULL, lease_expires_at = NULL"
                      + " WHERE batch_id = ? AND line = ?",
                  a.batchId(),
                  a.line());
            } else {
              end(c, a, unpaid);
            }
            return false;
          }
          end(c, a, end);
          return true;
        });
  }

  private static void end(Connection c, Attempt a, End end) throws SQLException {
    Sql.update(
        c,
        "UPDATE batch_item SET state = ?, status_code = ?, response = ?,"
            + " prompt_tokens = ?, completion_tokens = ?, holder = NULL,"
            + " lease_expires_at = NULL, finished_at = now()"
            + " WHERE batch_id = ? AND line = ?",
        end.state(),
        end.statusCode(),
        end.response(),
        end.promptTokens(),
        end.completionTokens(),
        a.batchId(),
        a.line());
  }

  @Override
  public boolean release(Attempt a, Duration delay, Settlement uncharged) {
    return db(
        c -> {
          boolean kept =
              Sql.update(
                      c,
                      "UPDATE batch_item SET state = 'pending', holder = NULL,"
                          + " lease_expires_at = NULL, not_before = now() + make_interval(secs => ?)"
                          + " WHERE batch_id = ? AND line = ? AND request_id = ? AND state = 'running'",
                      delay.toMillis() / 1000.0,
                      a.batchId(),
                      a.line(),
                      a.requestId())
                  == 1;
          settleUncharged(c, uncharged);
          return kept;
        });
  }

  /** The attempt's settlement with nothing charged: its end was not kept, or it gave back. */
  private static void settleUncharged(Connection c, Settlement s) throws SQLException {
    if (s != null) { // null: refused before it reserved anything
      JdbcQuotaLedger.settleIn(c, s.reservation(), s.outcome(), 0, 0);
    }
  }

  @Override
  public Map<String, String> stopping(Collection<String> batchIds) {
    if (batchIds.isEmpty()) {
      return Map.of();
    }
    return db(
        c -> {
          Map<String, String> stopping = new HashMap<>();
          for (String id : batchIds) {
            stopping.put(id, "cancelled"); // gone (its tenant deleted) unless found below
          }
          Array ids = c.createArrayOf("varchar", batchIds.toArray());
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, CASE WHEN status = 'in_progress' AND expires_at > now() THEN NULL"
                      + " WHEN status IN ('in_progress', 'expired') THEN 'expired'"
                      + " ELSE 'cancelled' END FROM batch WHERE id = ANY(?)")) {
            ps.setArray(1, ids);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                String why = rs.getString(2);
                if (why == null) {
                  stopping.remove(rs.getString(1));
                } else {
                  stopping.put(rs.getString(1), why);
                }
              }
            }
          }
          return stopping;
        });
  }

  @Override
  public int expireDue() {
    return db(
        c ->
            Sql.update(
                c,
                "UPDATE batch_item i SET state = CASE WHEN b.status = 'cancelling' THEN 'cancelled'"
                    + " ELSE 'expired' END, holder = NULL, lease_expires_at = NULL,"
                    + " finished_at = now() FROM batch b WHERE b.id = i.batch_id"
                    + " AND ((b.status = 'in_progress' AND b.expires_at <= now()"
                    + " AND (i.state = 'pending' OR (i.state = 'running'"
                    + " AND i.lease_expires_at <= now())))"
                    + " OR (b.status = 'cancelling' AND i.state = 'running'"
                    + " AND i.lease_expires_at <= now()))"));
  }

  @Override
  public List<Batch> toFinalize(int limit) {
    return db(
        c ->
            Sql.list(
                c,
                SELECT
                    + " WHERE b.status IN ('in_progress', 'cancelling', 'finalizing')"
                    + " AND NOT EXISTS (SELECT 1 FROM batch_item i WHERE i.batch_id = b.id"
                    + " AND (i.state = 'running' OR (i.state = 'pending'"
                    + " AND b.status = 'in_progress')))"
                    + " ORDER BY b.created_at LIMIT ?",
                JdbcBatchStore::batch,
                limit));
  }

  @Override
  public boolean finalizing(String batchId) {
    return db(
        c ->
            Sql.update(
                    c,
                    "UPDATE batch SET status = 'finalizing', finalizing_at = now()"
                        + " WHERE id = ? AND status = 'in_progress'",
                    batchId)
                == 1);
  }

  @Override
  public List<Ended> ended(String batchId, int fromLine, int limit) {
    return db(
        c ->
            Sql.list(
                c,
                "SELECT line, custom_id, state, request_id, status_code, response FROM batch_item"
                    + " WHERE batch_id = ? AND line >= ? ORDER BY line LIMIT ?",
                rs ->
                    new Ended(
                        rs.getInt("line"),
                        rs.getString("custom_id"),
                        rs.getString("state"),
                        Sql.uuid(rs, "request_id"),
                        (Integer) rs.getObject("status_code"),
                        rs.getString("response")),
                batchId,
                fromLine,
                limit));
  }

  @Override
  public boolean close(String batchId, String status, String outputFileId, String errorFileId) {
    if (!FINAL.contains(status)) {
      throw new IllegalArgumentException("not a final status: " + status);
    }
    return db(
        c -> {
          boolean closed =
              Sql.update(
                      c,
                      "UPDATE batch SET status = ?, output_file_id = ?, error_file_id = ?, "
                          + status
                          + "_at = now() WHERE id = ?"
                          + " AND status IN ('in_progress', 'finalizing', 'cancelling')",
                      status,
                      outputFileId,
                      errorFileId,
                      batchId)
                  == 1;
          if (closed) { // an item given back after a cancel ends with its batch
            Sql.update(
                c,
                "UPDATE batch_item SET state = ?, finished_at = now()"
                    + " WHERE batch_id = ? AND state = 'pending'",
                status.equals("cancelled") ? "cancelled" : "expired",
                batchId);
          }
          return closed;
        });
  }

  @Override
  public int purgeTenant(UUID tenantId) {
    return db(c -> Sql.update(c, "DELETE FROM batch WHERE tenant_id = ?", tenantId));
  }

  /**
   * An item's end and its settlement are one transaction or nothing: a connection outside one
   * (autocommit) would let a crash between the two statements keep an answer without its charge or
   * a charge without its answer.
   */
  private static void inTransaction(Connection c) throws SQLException {
    if (c.getAutoCommit()) {
      throw new IllegalStateException(
          "the batch store was called outside a transaction (autocommit connection)");
    }
  }

  /** A statement's failure carried out of a callback. */
  private static final class Unchecked extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Unchecked(SQLException e) {
      super(e);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }

  private static Batch batch(ResultSet rs) throws SQLException {
    return new Batch(
        rs.getString("id"),
        Sql.uuid(rs, "tenant_id"),
        Sql.uuid(rs, "api_key_id"),
        rs.getString("actor"),
        rs.getString("scopes"),
        rs.getString("endpoint"),
        rs.getString("input_file_id"),
        rs.getString("completion_window"),
        rs.getString("status"),
        rs.getString("metadata"),
        rs.getString("errors"),
        rs.getString("output_file_id"),
        rs.getString("error_file_id"),
        new Batch.Times(
            Sql.instant(rs, "created_at"),
            Sql.instant(rs, "in_progress_at"),
            Sql.instant(rs, "expires_at"),
            Sql.instant(rs, "finalizing_at"),
            Sql.instant(rs, "completed_at"),
            Sql.instant(rs, "failed_at"),
            Sql.instant(rs, "expired_at"),
            Sql.instant(rs, "cancelling_at"),
            Sql.instant(rs, "cancelled_at")),
        new Batch.Counts(
            rs.getInt("total"),
            rs.getInt("completed"),
            rs.getInt("failed"),
            rs.getLong("prompt_tokens"),
            rs.getLong("completion_tokens")));
  }
}

package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.Drift;
import dev.llada.platform.application.Outcome;
import dev.llada.platform.application.QuotaLedger;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.application.UsageRow;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.PermissionDeniedException;
import dev.llada.platform.domain.QuotaAdmission;
import dev.llada.platform.domain.RateLimitStatus;
import dev.llada.platform.domain.ServiceUnavailableException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link QuotaLedger} on PostgreSQL. Windows are UTC minute (requests), day (tokens) and month
 * (compute units), cut by the database clock; concurrency has one window that never ends. Each
 * reservation and settlement locks its tenant row ({@code SELECT ... FOR NO KEY UPDATE}: the
 * ledger's writers exclude each other, while an insert that refers to the tenant — a file, a batch
 * — does not wait for them, nor they for it), checks the counters of the tenant and of the key, and
 * writes the ledger entry and the counters in the same transaction, so the counters always equal
 * what {@link #drift} recomputes from the ledger.
 *
 * <p>Longer than ~300 lines on purpose: it is the one owner of {@code usage_ledger} and {@code
 * quota_counter} (TableOwnershipTest), and reservation, settlement, the drift check, reconciliation
 * and the counters' retention must agree on one window arithmetic, written once here in SQL.
 * Admission policy is {@code QuotaAdmission}'s (plain Java); this loads and stores.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcQuotaLedger implements QuotaLedger {

  /** The window start of each metric for a moment {@code ?} (timestamptz). */
  private static final String WINDOWS =
      "SELECT date_trunc('minute', ?::timestamptz, 'UTC'), date_trunc('day', ?::timestamptz,"
          + " 'UTC'), date_trunc('month', ?::timestamptz, 'UTC'), ?::timestamptz";

  private static final Instant FOREVER = Instant.EPOCH;

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  /** Fail closed: a ledger that cannot be read or written admits nothing (503). */
  private <T> T db(Sql.Work<T> work) {
    return Sql.run(
        dataSource,
        work,
        () ->
            new ServiceUnavailableException(
                "quota_unavailable",
                "Usage accounting is unavailable, so no request can be admitted; try again later."));
  }

  private record Windows(Instant minute, Instant day, Instant month, Instant now) {}

  private static Windows windows(Connection c, Instant at) throws SQLException {
    return Sql.one(
            c,
            WINDOWS,
            rs ->
                new Windows(
                    rs.getTimestamp(1).toInstant(),
                    rs.getTimestamp(2).toInstant(),
                    rs.getTimestamp(3).toInstant(),
                    rs.getTimestamp(4).toInstant()),
            at,
            at,
            at,
            at)
        .orElseThrow();
  }

  private static Instant dbNow(Connection c) throws SQLException {
    return Sql.one(c, "SELECT now()", rs -> rs.getTimestamp(1).toInstant()).orElseThrow();
  }

  private record Scope(String kind, UUID id, Limits limits) {}

  @Override
  public Reservation reserve(
      UUID requestId,
      Caller caller,
      String model,
      String endpoint,
      int promptTokens,
      int maxCompletionTokens,
      long computeUnits,
      Duration lease) {
    return db(
        c -> {
          Limits tenantLimits =
              Sql.one(
                      c,
                      "SELECT status, requests_per_minute, tokens_per_day, compute_units_per_month,"
                          + " max_concurrent FROM tenant WHERE id = ? FOR NO KEY UPDATE",
                      rs -> {
                        if ("DELETED".equals(rs.getString("status"))) {
                          throw new PermissionDeniedException(
                              "tenant_deleted", null, "This tenant was deleted.");
                        }
                        if (!"ACTIVE".equals(rs.getString("status"))) {
                          throw new PermissionDeniedException(
                              "tenant_suspended", null, "This tenant is suspended.");
                        }
                        return limits(rs);
                      },
                      caller.tenantId())
                  .orElseThrow(
                      () ->
                          new PermissionDeniedException(
                              "tenant_not_found", null, "The key's tenant no longer exists."));
          Limits keyLimits =
              Sql.one(
                      c,
                      "SELECT requests_per_minute, tokens_per_day, compute_units_per_month,"
                          + " max_concurrent FROM api_key WHERE id = ? AND tenant_id = ?",
                      JdbcQuotaLedger::limits,
                      caller.apiKeyId(),
                      caller.tenantId())
                  .orElse(Limits.NONE);
          Windows w = windows(c, dbNow(c));
          List<Scope> scopes =
              scopes(
                  new Scope("TENANT", caller.tenantId(), tenantLimits),
                  new Scope("KEY", caller.apiKeyId(), keyLimits));
          List<QuotaAdmission.Usage> usage = new ArrayList<>();
          for (Scope s : scopes) {
            Limits l = s.limits();
            usage.add(
                new QuotaAdmission.Usage(
                    s.kind().equals("TENANT") ? "tenant" : "API key",
                    l,
                    l.requestsPerMinute() == null ? 0 : counter(c, s, "REQUESTS", w.minute()),
                    l.tokensPerDay() == null ? 0 : counter(c, s, "TOKENS", w.day()),
                    l.computeUnitsPerMonth() == null ? 0 : counter(c, s, "UNITS", w.month()),
                    l.maxConcurrent() == null ? 0 : counter(c, s, "CONCURRENT", FOREVER)));
          }
          RateLimitStatus status =
              QuotaAdmission.admit(
                  usage,
                  new QuotaAdmission.Windows(w.now(), w.minute(), w.day(), w.month()),
                  maxCompletionTokens,
                  computeUnits);
          Sql.update(
              c,
              "INSERT INTO usage_ledger (request_id, entry, tenant_id, api_key_id, model, endpoint,"
                  + " prompt_tokens, completion_tokens, compute_units, created_at)"
                  + " VALUES (?, 'RESERVE', ?, ?, ?, ?, ?, ?, ?, ?)",
              requestId,
              caller.tenantId(),
              caller.apiKeyId(),
              model,
              endpoint,
              promptTokens,
              maxCompletionTokens,
              computeUnits,
              w.now());
          Sql.update(
              c,
              "INSERT INTO reservation_lease (request_id, tenant_id, holder, expires_at)"
                  + " VALUES (?, ?, ?, ?)",
              requestId,
              caller.tenantId(),
              DbLeaderLease.HOLDER,
              w.now().plus(lease));
          for (Scope s : scopes) {
            add(c, s, "REQUESTS", w.minute(), 1);
            add(c, s, "TOKENS", w.day(), maxCompletionTokens);
            add(c, s, "UNITS", w.month(), computeUnits);
            add(c, s, "CONCURRENT", FOREVER, 1);
          }
          return new Reservation(
              requestId,
              caller.tenantId(),
              caller.apiKeyId(),
              maxCompletionTokens,
              computeUnits,
              status,
              caller.queueWeight());
        });
  }

  private static Limits limits(ResultSet rs) throws SQLException {
    return new Limits(
        Sql.nullableLong(rs, "requests_per_minute"),
        Sql.nullableLong(rs, "tokens_per_day"),
        Sql.nullableLong(rs, "compute_units_per_month"),
        Sql.nullableLong(rs, "max_concurrent"));
  }

  private static long counter(Connection c, Scope s, String metric, Instant window)
      throws SQLException {
    return Sql.one(
            c,
            "SELECT used FROM quota_counter WHERE scope_kind = ? AND scope_id = ? AND metric = ?"
                + " AND window_start = ?",
            rs -> rs.getLong(1),
            s.kind(),
            s.id(),
            metric,
            window)
        .orElse(0L);
  }

  /**
   * Adds to a counter window; a window past retention is not written again (an old reservation
   * settling late). Built once: it runs on every reservation and settlement.
   */
  static final String ADD =
      "INSERT INTO quota_counter (scope_kind, scope_id, metric, window_start, used)"
          + " SELECT v.k, v.i, v.m, v.w, v.u FROM (VALUES (?, ?::uuid, ?, ?::timestamptz,"
          + " ?::bigint)) AS v(k, i, m, w, u) WHERE "
          + retained("v.m", "v.w")
          + " ON CONFLICT (scope_kind, scope_id, metric, window_start)"
          + " DO UPDATE SET used = quota_counter.used + EXCLUDED.used";

  private static void add(Connection c, Scope s, String metric, Instant window, long delta)
      throws SQLException {
    if (s.id() == null) {
      return;
    }
    Sql.update(c, ADD, s.kind(), s.id(), metric, window, delta);
  }

  @Override
  public boolean settle(
      Reservation reservation, Outcome outcome, int completionTokens, long computeUnits) {
    return db(c -> settleIn(c, reservation, outcome, completionTokens, computeUnits));
  }

  /**
   * {@link #settle} on the connection of a caller's transaction: a batch item's end is written in
   * the same transaction as its settlement (JdbcBatchStore), so that it is charged once.
   */
  static boolean settleIn(
      Connection c,
      Reservation reservation,
      Outcome outcome,
      int completionTokens,
      long computeUnits)
      throws SQLException {
    Sql.list(
        c, "SELECT 1 FROM tenant WHERE id = ? FOR NO KEY UPDATE", rs -> 1, reservation.tenantId());
    return settleLocked(
        c,
        reservation.tenantId(),
        reservation.requestId(),
        reservation.reservedTokens(),
        reservation.reservedUnits(),
        outcome,
        completionTokens,
        computeUnits);
  }

  /**
   * The SETTLE entry, the counters moved from reserved to actual and the lease dropped, under the
   * tenant row's lock (taken by the caller); false when it was settled already. Every statement
   * names the tenant as well as the request.
   */
  private static boolean settleLocked(
      Connection c,
      UUID tenantId,
      UUID requestId,
      int reservedTokens,
      long reservedUnits,
      Outcome outcome,
      int completionTokens,
      long computeUnits)
      throws SQLException {
    record Reserved(Instant at, UUID tenantId, UUID apiKeyId) {}
    Reserved reserved =
        Sql.one(
                c,
                "SELECT created_at, tenant_id, api_key_id FROM usage_ledger WHERE request_id = ?"
                    + " AND tenant_id = ? AND entry = 'RESERVE'",
                rs ->
                    new Reserved(
                        rs.getTimestamp(1).toInstant(),
                        Sql.uuid(rs, "tenant_id"),
                        Sql.uuid(rs, "api_key_id")),
                requestId,
                tenantId)
            .orElseThrow(() -> new IllegalStateException("no reservation to settle"));
    if (Sql.one(
            c,
            "SELECT 1 FROM usage_ledger WHERE request_id = ? AND tenant_id = ? AND entry = 'SETTLE'",
            rs -> 1,
            requestId,
            tenantId)
        .isPresent()) {
      return false; // settled already
    }
    Sql.update(
        c,
        "INSERT INTO usage_ledger (request_id, entry, tenant_id, api_key_id, model,"
            + " endpoint, prompt_tokens, completion_tokens, compute_units, outcome)"
            + " SELECT request_id, 'SETTLE', tenant_id, api_key_id, model, endpoint,"
            + " prompt_tokens, ?, ?, ? FROM usage_ledger WHERE request_id = ?"
            + " AND tenant_id = ? AND entry = 'RESERVE'",
        completionTokens,
        computeUnits,
        outcome.name(),
        requestId,
        tenantId);
    Sql.update(
        c,
        "DELETE FROM reservation_lease WHERE request_id = ? AND tenant_id = ?",
        requestId,
        tenantId);
    Windows w = windows(c, reserved.at());
    for (Scope s :
        scopes(
            new Scope("TENANT", reserved.tenantId(), Limits.NONE),
            new Scope("KEY", reserved.apiKeyId(), Limits.NONE))) {
      add(c, s, "TOKENS", w.day(), completionTokens - reservedTokens);
      add(c, s, "UNITS", w.month(), computeUnits - reservedUnits);
      add(c, s, "CONCURRENT", FOREVER, -1);
    }
    return true;
  }

  @Override
  public void progress(Collection<Progress> known) {
    if (known.isEmpty()) {
      return;
    }
    db(
        c -> {
          for (Progress p : known) {
            Sql.update(
                c,
                "UPDATE reservation_lease SET completion_tokens = ?, compute_units = ?,"
                    + " progress_at = now() WHERE request_id = ?",
                Math.max(0, p.completionTokens()),
                Math.max(0L, p.computeUnits()),
                p.requestId());
          }
          return null;
        });
  }

  @Override
  @Transactional(Transactional.TxType.REQUIRED)
  public Leases leases() {
    return db(
        c ->
            Sql.one(
                    c,
                    "SELECT count(*) FILTER (WHERE expires_at >= now()),"
                        + " count(*) FILTER (WHERE expires_at < now()) FROM reservation_lease",
                    rs -> new Leases(rs.getLong(1), rs.getLong(2)))
                .orElseThrow());
  }

  @Override
  public int expire(UUID tenantId, int limit) {
    // each lease settled in a transaction of its own: one tenant's lock at a time, and a lease that
    // cannot be settled now does not hold back the others
    int expired = 0;
    for (Expired e : db(c -> due(c, tenantId, limit))) {
      try {
        expired += db(c -> expire(c, e) ? 1 : 0);
      } catch (RuntimeException failed) { // the next sweep tries it again
        java.util.logging.Logger.getLogger(JdbcQuotaLedger.class.getName())
            .log(
                java.util.logging.Level.WARNING,
                "could not settle the expired lease of request " + e.requestId(),
                failed);
      }
    }
    return expired;
  }

  private record Expired(UUID requestId, UUID tenantId) {}

  private static List<Expired> due(Connection c, UUID tenantId, int limit) throws SQLException {
    return Sql.list(
        c,
        "SELECT request_id, tenant_id FROM reservation_lease WHERE expires_at < now()"
            + (tenantId == null ? " AND ?::uuid IS NULL" : " AND tenant_id = ?")
            + " ORDER BY expires_at LIMIT ?",
        rs -> new Expired(Sql.uuid(rs, "request_id"), Sql.uuid(rs, "tenant_id")),
        tenantId,
        limit);
  }

  /**
   * Settles expired leases one by one, each under its tenant's lock taken first (the order every
   * reservation and settlement locks in), re-checked under that lock: a request that settled itself
   * meanwhile is left alone. Usage is what the lease recorded, never more than was reserved.
   */
  private static int expire(Connection c, UUID tenantId, int limit) throws SQLException {
    int expired = 0;
    for (Expired e : due(c, tenantId, limit)) {
      expired += expire(c, e) ? 1 : 0;
    }
    return expired;
  }

  /**
   * Settles one expired lease under its tenant's lock (the order every reservation and settlement
   * locks in), re-checked under that lock: a request that settled itself meanwhile is left alone.
   * Usage is what the lease recorded, never more than was reserved.
   */
  private static boolean expire(Connection c, Expired e) throws SQLException {
    Sql.list(c, "SELECT 1 FROM tenant WHERE id = ? FOR NO KEY UPDATE", rs -> 1, e.tenantId());
    record Known(int tokens, long units, int reservedTokens, long reservedUnits) {}
    var known =
        Sql.one(
            c,
            "SELECT l.completion_tokens, l.compute_units, r.completion_tokens AS rt,"
                + " r.compute_units AS ru FROM reservation_lease l JOIN usage_ledger r"
                + " ON r.request_id = l.request_id AND r.entry = 'RESERVE'"
                + " WHERE l.request_id = ? AND l.expires_at < now()",
            rs -> new Known(rs.getInt(1), rs.getLong(2), rs.getInt(3), rs.getLong(4)),
            e.requestId());
    if (known.isEmpty()) {
      return false; // settled by its request meanwhile
    }
    Known k = known.get();
    if (settleLocked(
        c,
        e.tenantId(),
        e.requestId(),
        k.reservedTokens(),
        k.reservedUnits(),
        Outcome.EXPIRED,
        Math.min(k.tokens(), k.reservedTokens()),
        Math.min(k.units(), k.reservedUnits()))) {
      return true;
    }
    // a SETTLE without its lease dropped cannot happen; drop a stray lease anyway
    Sql.update(c, "DELETE FROM reservation_lease WHERE request_id = ?", e.requestId());
    return false;
  }

  /** What the counters of one tenant (and its keys) must be, recomputed from the ledger. */
  private static final String EXPECTED =
      """
      WITH r AS (
        SELECT r.tenant_id, r.api_key_id, r.created_at,
               coalesce(s.completion_tokens, r.completion_tokens) AS tokens,
               coalesce(s.compute_units, r.compute_units) AS units,
               s.id IS NULL AS open
        FROM usage_ledger r
        LEFT JOIN usage_ledger s ON s.request_id = r.request_id AND s.entry = 'SETTLE'
        WHERE r.entry = 'RESERVE' AND r.tenant_id = ?),
      scoped AS (
        SELECT 'TENANT' AS kind, tenant_id AS id, created_at, tokens, units, open FROM r
        UNION ALL
        SELECT 'KEY', api_key_id, created_at, tokens, units, open FROM r
        WHERE api_key_id IS NOT NULL)
      SELECT kind, id, 'REQUESTS' AS metric, date_trunc('minute', created_at, 'UTC') AS w,
             count(*) AS used FROM scoped GROUP BY 1, 2, 3, 4
      UNION ALL
      SELECT kind, id, 'TOKENS', date_trunc('day', created_at, 'UTC'), sum(tokens)
        FROM scoped GROUP BY 1, 2, 3, 4
      UNION ALL
      SELECT kind, id, 'UNITS', date_trunc('month', created_at, 'UTC'), sum(units)
        FROM scoped GROUP BY 1, 2, 3, 4
      UNION ALL
      SELECT kind, id, 'CONCURRENT', 'epoch'::timestamptz, count(*) FILTER (WHERE open)
        FROM scoped GROUP BY 1, 2, 3, 4
      """;

  /**
   * Whether a counter window is still kept (docs/adr/0006): a day of minute windows, a week of day
   * windows, a year of month windows, and the concurrency window always. Older ones answer no
   * admission question any more, so the sweeper deletes them, and the drift check and
   * reconciliation look at kept windows only; the ledger keeps the whole history.
   */
  private static String retained(String metric, String window) {
    return "(("
        + metric
        + " <> 'REQUESTS' OR "
        + window
        + " >= "
        + cutoff("minute", "1 day")
        + ") AND ("
        + metric
        + " <> 'TOKENS' OR "
        + window
        + " >= "
        + cutoff("day", "7 days")
        + ") AND ("
        + metric
        + " <> 'UNITS' OR "
        + window
        + " >= "
        + cutoff("month", "12 months")
        + "))";
  }

  /** The current UTC {@code unit} window's start minus {@code keep}, computed in UTC (no DST). */
  private static String cutoff(String unit, String keep) {
    return "((date_trunc('"
        + unit
        + "', now() AT TIME ZONE 'UTC') - interval '"
        + keep
        + "') AT TIME ZONE 'UTC')";
  }

  private static final String DRIFT =
      "WITH expected AS ("
          + EXPECTED
          + "), actual AS (SELECT q.scope_kind AS kind, q.scope_id AS id, q.metric,"
          + " q.window_start AS w, q.used FROM quota_counter q WHERE (q.scope_kind = 'TENANT'"
          + " AND q.scope_id = ?) OR (q.scope_kind = 'KEY' AND q.scope_id IN"
          + " (SELECT id FROM api_key WHERE tenant_id = ?)))"
          + " SELECT coalesce(e.kind, a.kind) AS kind, coalesce(e.id, a.id) AS id,"
          + " coalesce(e.metric, a.metric) AS metric, coalesce(e.w, a.w) AS w,"
          + " coalesce(a.used, 0) AS counter, coalesce(e.used, 0) AS ledger"
          + " FROM expected e FULL OUTER JOIN actual a ON e.kind = a.kind AND e.id = a.id"
          + " AND e.metric = a.metric AND e.w = a.w"
          + " WHERE coalesce(a.used, 0) <> coalesce(e.used, 0) AND "
          + retained("coalesce(e.metric, a.metric)", "coalesce(e.w, a.w)")
          + " ORDER BY 1, 2, 3, 4";

  @Override
  @Transactional(Transactional.TxType.REQUIRED)
  public List<Drift> drift(UUID tenantId) {
    return db(c -> drift(c, tenantId));
  }

  private static List<Drift> drift(Connection c, UUID tenantId) throws SQLException {
    return Sql.list(
        c,
        DRIFT,
        rs ->
            new Drift(
                rs.getString("kind"),
                Sql.uuid(rs, "id"),
                rs.getString("metric"),
                Sql.instant(rs, "w"),
                rs.getLong("counter"),
                rs.getLong("ledger")),
        tenantId,
        tenantId,
        tenantId);
  }

  @Override
  public List<Drift> reconcile(UUID tenantId) {
    return db(
        c -> {
          Sql.list(c, "SELECT 1 FROM tenant WHERE id = ? FOR NO KEY UPDATE", rs -> 1, tenantId);
          expire(c, tenantId, Integer.MAX_VALUE);
          List<Drift> before = drift(c, tenantId);
          Sql.update(
              c,
              "DELETE FROM quota_counter WHERE (scope_kind = 'TENANT' AND scope_id = ?) OR"
                  + " (scope_kind = 'KEY' AND scope_id IN (SELECT id FROM api_key WHERE"
                  + " tenant_id = ?))",
              tenantId,
              tenantId);
          Sql.update(
              c,
              "INSERT INTO quota_counter (scope_kind, scope_id, metric, window_start, used)"
                  + " SELECT kind, id, metric, w, used FROM ("
                  + EXPECTED
                  + ") e WHERE "
                  + retained("e.metric", "e.w"),
              tenantId);
          return before;
        });
  }

  @Override
  @Transactional(Transactional.TxType.REQUIRED)
  public List<UsageRow> usage(UUID tenantId, LocalDate from, LocalDate to) {
    Instant start = from.atStartOfDay(ZoneOffset.UTC).toInstant();
    Instant end = to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
    List<Object> params = new ArrayList<>(List.of(start, end));
    if (tenantId != null) {
      params.add(tenantId);
    }
    String tenantFilter = tenantId == null ? "" : " AND r.tenant_id = ?";
    return db(
        c ->
            Sql.list(
                c,
                "SELECT (r.created_at AT TIME ZONE 'UTC')::date AS day, t.slug, r.model,"
                    + " coalesce(k.prefix, '') AS prefix, count(*) AS requests,"
                    + " sum(r.prompt_tokens) AS prompt_tokens,"
                    + " sum(coalesce(s.completion_tokens, r.completion_tokens)) AS completion,"
                    + " sum(coalesce(s.compute_units, r.compute_units)) AS units,"
                    + " count(*) FILTER (WHERE s.outcome <> 'SUCCESS') AS failed"
                    + " FROM usage_ledger r"
                    + " LEFT JOIN usage_ledger s ON s.request_id = r.request_id"
                    + " AND s.entry = 'SETTLE'"
                    + " JOIN tenant t ON t.id = r.tenant_id"
                    + " LEFT JOIN api_key k ON k.id = r.api_key_id"
                    + " WHERE r.entry = 'RESERVE' AND r.created_at >= ? AND r.created_at < ?"
                    + tenantFilter
                    + " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
                rs ->
                    new UsageRow(
                        rs.getObject("day", LocalDate.class),
                        rs.getString("slug"),
                        rs.getString("model"),
                        rs.getString("prefix"),
                        rs.getLong("requests"),
                        rs.getLong("prompt_tokens"),
                        rs.getLong("completion"),
                        rs.getLong("units"),
                        rs.getLong("failed")),
                params.toArray()));
  }

  @Override
  public int purgeCounterWindows() {
    return db(
        c ->
            Sql.update(
                c, "DELETE FROM quota_counter WHERE NOT " + retained("metric", "window_start")));
  }

  /**
   * The counters a request moves: its tenant's, and its key's when it came with one (a JWT user has
   * none).
   */
  private static List<Scope> scopes(Scope tenant, Scope key) {
    return key.id() == null ? List.of(tenant) : List.of(tenant, key);
  }
}

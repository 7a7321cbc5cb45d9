package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.AuditLog;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** {@link AuditLog} on the append-only {@code audit_log} table. */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcAuditLog implements AuditLog {

  private static final Logger LOG = Logger.getLogger(JdbcAuditLog.class.getName());

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @Override
  public void record(Entry e) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "INSERT INTO audit_log (actor, actor_tenant_id, tenant_id, action, target, before,"
              + " after, status, request_id) VALUES (?, ?, ?, ?, ?, CAST(? AS jsonb),"
              + " CAST(? AS jsonb), ?, ?)",
          e.actor(),
          e.actorTenantId(),
          e.tenantId(),
          e.action(),
          e.target().length() > 512 ? e.target().substring(0, 512) : e.target(),
          e.before(),
          e.after(),
          e.status(),
          e.requestId());
    } catch (SQLException ex) {
      LOG.log(Level.SEVERE, "could not write the audit log entry of request " + e.requestId(), ex);
    }
  }

  @Override
  public List<Entry> list(Query q) {
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, at, actor, actor_tenant_id, tenant_id, action, target, before::text,"
                + " after::text, status, request_id FROM audit_log WHERE true");
    List<Object> params = new ArrayList<>();
    if (q.tenantId() != null) {
      sql.append(" AND tenant_id = ?");
      params.add(q.tenantId());
    }
    if (q.actor() != null) {
      sql.append(" AND actor = ?");
      params.add(q.actor());
    }
    if (q.action() != null) {
      sql.append(" AND strpos(action, ?) > 0");
      params.add(q.action());
    }
    if (q.since() != null) {
      sql.append(" AND at >= ?");
      params.add(Timestamp.from(q.since()));
    }
    if (q.until() != null) {
      sql.append(" AND at < ?");
      params.add(Timestamp.from(q.until()));
    }
    if (q.afterId() != null) {
      sql.append(" AND id > ?");
      params.add(q.afterId());
    }
    sql.append(" ORDER BY id LIMIT ?");
    params.add(q.limit());
    try (Connection c = dataSource.getConnection()) {
      return Sql.list(
          c,
          sql.toString(),
          rs ->
              new Entry(
                  rs.getLong(1),
                  rs.getTimestamp(2).toInstant(),
                  rs.getString(3),
                  rs.getObject(4, UUID.class),
                  rs.getObject(5, UUID.class),
                  rs.getString(6),
                  rs.getString(7),
                  rs.getString(8),
                  rs.getString(9),
                  rs.getInt(10),
                  rs.getObject(11, UUID.class)),
          params.toArray());
    } catch (SQLException e) {
      throw Sql.databaseUnavailable();
    }
  }
}

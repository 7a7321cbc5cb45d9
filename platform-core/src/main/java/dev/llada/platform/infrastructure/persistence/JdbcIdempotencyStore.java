package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.IdempotencyStore;
import dev.llada.platform.domain.ServiceUnavailableException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** {@link IdempotencyStore} on {@code idempotent_response}; entries expire after 24 hours. */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcIdempotencyStore implements IdempotencyStore {

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @Override
  public Optional<Kept> claim(UUID tenantId, String key, String requestHash) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "DELETE FROM idempotent_response WHERE tenant_id = ? AND key = ?"
              + " AND created_at < now() - interval '24 hours'",
          tenantId,
          key);
      int inserted =
          Sql.update(
              c,
              "INSERT INTO idempotent_response (tenant_id, key, request_hash, status, body)"
                  + " VALUES (?, ?, ?, 0, '') ON CONFLICT (tenant_id, key) DO NOTHING",
              tenantId,
              key,
              requestHash);
      if (inserted == 1) {
        return Optional.empty();
      }
      return Sql.one(
          c,
          "SELECT request_hash, status, body FROM idempotent_response"
              + " WHERE tenant_id = ? AND key = ?",
          rs -> new Kept(rs.getString(1), rs.getInt(2), rs.getString(3)),
          tenantId,
          key);
    } catch (SQLException e) {
      throw new ServiceUnavailableException(
          "database_unavailable", "The platform's database is unavailable; try again later.");
    }
  }

  @Override
  public void complete(UUID tenantId, String key, int status, String body) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "UPDATE idempotent_response SET status = ?, body = ? WHERE tenant_id = ? AND key = ?",
          status,
          body,
          tenantId,
          key);
    } catch (SQLException e) {
      throw new ServiceUnavailableException(
          "database_unavailable", "The platform's database is unavailable; try again later.");
    }
  }

  @Override
  public void release(UUID tenantId, String key) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c, "DELETE FROM idempotent_response WHERE tenant_id = ? AND key = ?", tenantId, key);
    } catch (SQLException e) {
      throw new ServiceUnavailableException(
          "database_unavailable", "The platform's database is unavailable; try again later.");
    }
  }

  @Override
  public int purgeExpired() {
    try (Connection c = dataSource.getConnection()) {
      return Sql.update(
          c, "DELETE FROM idempotent_response WHERE created_at < now() - interval '24 hours'");
    } catch (SQLException e) {
      throw Sql.databaseUnavailable();
    }
  }

  @Override
  public int purgeTenant(UUID tenantId) {
    try (Connection c = dataSource.getConnection()) {
      return Sql.update(c, "DELETE FROM idempotent_response WHERE tenant_id = ?", tenantId);
    } catch (SQLException e) {
      throw Sql.databaseUnavailable();
    }
  }
}

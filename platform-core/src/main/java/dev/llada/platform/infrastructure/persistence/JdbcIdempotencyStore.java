package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.IdempotencyStore;
import dev.llada.platform.domain.ServiceUnavailableException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link IdempotencyStore} on {@code idempotent_response}: answers expire after 24 hours, claims of
 * requests still running at their {@code claimed_until}.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcIdempotencyStore implements IdempotencyStore {

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @Override
  public Optional<Kept> claim(
      String owner, UUID tenantId, String key, String requestHash, Duration hold) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "DELETE FROM idempotent_response WHERE owner = ? AND key = ?"
              + " AND (created_at < now() - interval '24 hours'"
              + " OR (status = 0 AND (claimed_until IS NULL OR claimed_until < now())))",
          owner,
          key);
      int inserted =
          Sql.update(
              c,
              "INSERT INTO idempotent_response"
                  + " (owner, tenant_id, key, request_hash, status, body, claimed_until)"
                  + " VALUES (?, ?, ?, ?, 0, '', now() + ? * interval '1 millisecond')"
                  + " ON CONFLICT (owner, key) DO NOTHING",
              owner,
              tenantId,
              key,
              requestHash,
              hold.toMillis());
      if (inserted == 1) {
        return Optional.empty();
      }
      return Sql.one(
          c,
          "SELECT request_hash, status, body FROM idempotent_response WHERE owner = ? AND key = ?",
          rs -> new Kept(rs.getString(1), rs.getInt(2), rs.getString(3)),
          owner,
          key);
    } catch (SQLException e) {
      throw new ServiceUnavailableException(
          "database_unavailable", "The platform's database is unavailable; try again later.");
    }
  }

  @Override
  public void complete(String owner, String key, int status, String body) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "UPDATE idempotent_response SET status = ?, body = ?, claimed_until = NULL"
              + " WHERE owner = ? AND key = ?",
          status,
          body,
          owner,
          key);
    } catch (SQLException e) {
      throw new ServiceUnavailableException(
          "database_unavailable", "The platform's database is unavailable; try again later.");
    }
  }

  @Override
  public void release(String owner, String key) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "DELETE FROM idempotent_response WHERE owner = ? AND key = ? AND status = 0",
          owner,
          key);
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

package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.RequestLog;
import dev.llada.platform.domain.Caller;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** {@link RequestLog} in the {@code request_log} table; a failure to log never fails a request. */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcRequestLog implements RequestLog {

  private static final Logger LOG = Logger.getLogger(JdbcRequestLog.class.getName());

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @Override
  public void record(
      UUID requestId,
      Caller caller,
      String method,
      String path,
      String model,
      int status,
      String errorCode,
      int promptTokens,
      int completionTokens,
      long computeUnits,
      long latencyMillis,
      String requestBody,
      String responseBody) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "INSERT INTO request_log (request_id, tenant_id, api_key_id, method, path, model,"
              + " status, error_code, prompt_tokens, completion_tokens, compute_units, latency_ms,"
              + " request_body, response_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
              + " ON CONFLICT (request_id) DO NOTHING",
          requestId,
          caller == null ? null : caller.tenantId(),
          caller == null ? null : caller.apiKeyId(),
          method,
          path.length() > 256 ? path.substring(0, 256) : path,
          model,
          status,
          errorCode,
          promptTokens < 0 ? null : promptTokens,
          completionTokens < 0 ? null : completionTokens,
          computeUnits < 0 ? null : computeUnits,
          latencyMillis,
          requestBody,
          responseBody);
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.WARNING, "could not log request " + requestId, e);
    }
  }

  @Override
  public void complete(
      UUID requestId, int status, int completionTokens, long computeUnits, long latencyMillis) {
    try (Connection c = dataSource.getConnection()) {
      Sql.update(
          c,
          "UPDATE request_log SET status = ?, completion_tokens = ?, compute_units = ?,"
              + " latency_ms = latency_ms + ? WHERE request_id = ?",
          status,
          completionTokens,
          computeUnits,
          latencyMillis,
          requestId);
    } catch (SQLException | RuntimeException e) {
      LOG.log(Level.WARNING, "could not complete the log of request " + requestId, e);
    }
  }

  @Override
  public int purgeOlderThan(int days) {
    try (Connection c = dataSource.getConnection()) {
      return Sql.update(
          c, "DELETE FROM request_log WHERE created_at < now() - make_interval(days => ?)", days);
    } catch (SQLException e) {
      throw Sql.databaseUnavailable();
    }
  }

  @Override
  public int purgeTenant(UUID tenantId) {
    try (Connection c = dataSource.getConnection()) {
      return Sql.update(c, "DELETE FROM request_log WHERE tenant_id = ?", tenantId);
    } catch (SQLException e) {
      throw Sql.databaseUnavailable();
    }
  }
}

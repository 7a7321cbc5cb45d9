package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.domain.DatabaseFailures;
import dev.llada.platform.domain.PlatformException;
import dev.llada.platform.domain.ServiceUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Plain JDBC in a few lines: bind positional parameters, map rows. */
final class Sql {

  private Sql() {}

  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(Sql.class.getName());

  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet rs) throws SQLException;
  }

  /** Work on one connection, in one transaction (see {@link #run}). */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction: the caller's JTA transaction when the connection is
   * enlisted in it (autocommit off), else a local one of its own, committed when {@code work}
   * returns and rolled back when it throws. Payara enlists the connections taken on HTTP threads
   * but not those taken on its managed executors' threads, even inside {@code @Transactional}
   * (measured: every statement there autocommitted), and the batch runner, the settlements and the
   * sweepers run there. A failure becomes the refusal {@link DatabaseFailures} says, {@code
   * unavailable} when the database is not there.
   */
  static <T> T run(
      javax.sql.DataSource dataSource,
      Work<T> work,
      java.util.function.Supplier<? extends RuntimeException> unavailable) {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        return work.run(c); // the container's transaction commits it
      }
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (Throwable t) {
        try {
          c.rollback();
        } catch (SQLException r) {
          t.addSuppressed(r);
        }
        throw t;
      } finally {
        try {
          c.setAutoCommit(true); // the pool's connections are handed out as they came
        } catch (SQLException ignored) {
          // a broken connection: the pool's validation drops it
        }
      }
    } catch (SQLException e) {
      PlatformException refusal = DatabaseFailures.refusal(e);
      throw refusal instanceof ServiceUnavailableException ? unavailable.get() : refusal;
    }
  }

  /** The usual 503 when the platform's database is unreachable. */
  static ServiceUnavailableException databaseUnavailable() {
    return DatabaseFailures.unavailable();
  }

  static <T> List<T> list(Connection c, String sql, Row<T> row, Object... params)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(row.map(rs));
        }
        return out;
      }
    }
  }

  static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params)
      throws SQLException {
    List<T> rows = list(c, sql, row, params);
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  static int update(Connection c, String sql, Object... params) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, params);
      return ps.executeUpdate();
    }
  }

  private static void bind(PreparedStatement ps, Object... params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      Object p = params[i];
      if (p instanceof Instant t) {
        ps.setTimestamp(i + 1, Timestamp.from(t));
      } else {
        ps.setObject(i + 1, p);
      }
    }
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }

  static UUID uuid(ResultSet rs, String column) throws SQLException {
    return rs.getObject(column, UUID.class);
  }

  static Long nullableLong(ResultSet rs, String column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? null : v;
  }
}

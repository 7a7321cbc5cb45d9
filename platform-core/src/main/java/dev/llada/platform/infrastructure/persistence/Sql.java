package dev.llada.platform.infrastructure.persistence;

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

  /** Work on one connection (enlisted in the caller's JTA transaction). */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work}. A unique violation is a 409, a data exception (SQLSTATE class 22) or CHECK
   * violation a 400 (a backstop: the domain checks name the field first); any other database
   * failure is logged and becomes {@code unavailable} (a 503: the platform fails closed).
   */
  static <T> T run(
      javax.sql.DataSource dataSource,
      Work<T> work,
      java.util.function.Supplier<? extends RuntimeException> unavailable) {
    try (Connection c = dataSource.getConnection()) {
      return work.run(c);
    } catch (SQLException e) {
      String state = e.getSQLState();
      if ("23505".equals(state)) {
        throw new dev.llada.platform.domain.ConflictException(
            "already_exists", null, "That name is taken already.");
      }
      if (state != null && (state.startsWith("22") || state.equals("23514"))) {
        // a data exception or a CHECK: the input's fault, which the checks before the database
        // should have named; never a 503, and logged so the missing check gets written
        LOG.log(java.util.logging.Level.WARNING, "input the checks let through", e);
        throw new dev.llada.platform.domain.InvalidRequestException(
            null, "A value in the request is out of range or too long.");
      }
      LOG.log(java.util.logging.Level.WARNING, "database work failed", e);
      throw unavailable.get();
    }
  }

  /** The usual 503 when the platform's database is unreachable. */
  static dev.llada.platform.domain.ServiceUnavailableException databaseUnavailable() {
    return new dev.llada.platform.domain.ServiceUnavailableException(
        "database_unavailable", "The platform's database is unavailable; try again later.");
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

package dev.llada.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Named leases in PostgreSQL ({@code lease}, migration V5): the one mechanism for leaders and
 * exactly-once work across platform JVMs on one database (docs/adr/0006). A lease is held by one
 * holder until it expires; the holder renews it by taking it again, anyone may take it once it has
 * expired. Taking is one {@code INSERT … ON CONFLICT DO UPDATE … WHERE} statement, so two JVMs
 * racing for it never both win, and every time is the database's clock, never a JVM's.
 */
public final class Leases {

  private static final String TAKE =
      "INSERT INTO lease (name, holder, acquired_at, expires_at)"
          + " VALUES (?, ?, now(), now() + make_interval(secs => ?))"
          + " ON CONFLICT (name) DO UPDATE SET"
          + " holder = EXCLUDED.holder,"
          + " acquired_at = CASE WHEN lease.holder = EXCLUDED.holder THEN lease.acquired_at"
          + " ELSE now() END,"
          + " expires_at = EXCLUDED.expires_at"
          + " WHERE lease.holder = EXCLUDED.holder OR lease.expires_at <= now()"
          + " RETURNING holder";

  private final DataSource dataSource;

  public Leases(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Takes the lease {@code name} for {@code holder} for {@code ttl}, or renews it if {@code holder}
   * has it already. True when {@code holder} holds it afterwards, false when someone else does.
   */
  public boolean tryAcquire(String name, String holder, Duration ttl) throws SQLException {
    if (ttl.toMillis() < 1) {
      throw new IllegalArgumentException("a lease lasts at least a millisecond, got " + ttl);
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(TAKE)) {
      ps.setString(1, name);
      ps.setString(2, holder);
      ps.setDouble(3, ttl.toMillis() / 1000.0);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && holder.equals(rs.getString(1));
      }
    }
  }

  /** Gives the lease up if {@code holder} has it, so that another may take it at once. */
  public void release(String name, String holder) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("DELETE FROM lease WHERE name = ? AND holder = ?")) {
      ps.setString(1, name);
      ps.setString(2, holder);
      ps.executeUpdate();
    }
  }

  /** Who holds {@code name} now, if anyone does and it has not expired. */
  public Optional<String> holder(String name) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT holder FROM lease WHERE name = ? AND expires_at > now()")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }
}

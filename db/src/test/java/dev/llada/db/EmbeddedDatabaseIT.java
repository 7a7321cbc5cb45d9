package dev.llada.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded server, the migrations and the schema's own rules, on a real PostgreSQL. */
class EmbeddedDatabaseIT {

  private static final int PORT = Integer.getInteger("it.db.port", 18433);

  @TempDir Path temp;

  @Test
  void migratesSeedsAndKeepsDataAcrossRestarts() throws Exception {
    Path data = temp.resolve("pg");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, PORT, true)) {
      Migrations.Report first = Migrations.migrate(db.dataSource());
      assertEquals(latestMigration(), first.schemaVersion());
      assertTrue(first.migrationsApplied() >= 1);
      assertEquals(
          List.of("BASE", "INSTRUCT", "MOE", "V1_5", "VISION"),
          strings(db, "SELECT code FROM model_variant ORDER BY code"));
      execute(
          db,
          "INSERT INTO tenant (id, slug, display_name) VALUES (gen_random_uuid(), 'acme', 'Acme')");
    }
    assertTrue(Files.exists(data.resolve("PG_VERSION")), "data directory kept after stop");

    try (EmbeddedDatabase db = EmbeddedDatabase.start(data, PORT, true)) {
      assertEquals(0, Migrations.migrate(db.dataSource()).migrationsApplied(), "idempotent");
      assertEquals(List.of("acme"), strings(db, "SELECT slug FROM tenant"));
    }
  }

  @Test
  void schemaRejectsBadRowsAndVersionsAreImmutable() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg2"), PORT, false)) {
      Migrations.migrate(db.dataSource());
      execute(
          db,
          "INSERT INTO model_version (id, variant_code, name, version, digest, artifact_uri,"
              + " parameter_count, dtype) VALUES ('00000000-0000-0000-0000-000000000001',"
              + " 'INSTRUCT', 'llada-tiny-instruct', 1, 'sha256:"
              + "0".repeat(64)
              + "', 'file:///models/llada-tiny-instruct', 1000, 'F32')");
      SQLException immutable =
          assertThrows(
              SQLException.class,
              () -> execute(db, "UPDATE model_version SET artifact_uri = 'file:///elsewhere'"));
      assertTrue(immutable.getMessage().contains("immutable"), immutable.getMessage());
      assertThrows(
          SQLException.class,
          () ->
              execute(
                  db,
                  "INSERT INTO tenant (id, slug, display_name)"
                      + " VALUES (gen_random_uuid(), 'Not A Slug', 'x')"));
      assertThrows(
          SQLException.class,
          () ->
              execute(
                  db,
                  "INSERT INTO model_variant (code, model_id, display_name, upstream_repo, owned_by,"
                      + " architecture, description) VALUES ('GPT', 'gpt', 'x', 'x', 'x', 'DENSE', 'x')"));
      // global alias names are unique; the same name may exist once per tenant
      execute(
          db,
          "INSERT INTO model_alias (id, alias, version_id) VALUES (gen_random_uuid(), 'instruct@prod',"
              + " '00000000-0000-0000-0000-000000000001')");
      assertThrows(
          SQLException.class,
          () ->
              execute(
                  db,
                  "INSERT INTO model_alias (id, alias, version_id) VALUES (gen_random_uuid(),"
                      + " 'instruct@prod', '00000000-0000-0000-0000-000000000001')"));
    }
  }

  @Test
  void probeAcceptsALiveServerAndExplainsADeadOne() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg3"), PORT, false)) {
      DatabaseProbe.checkReachable(db.settings(), Duration.ofSeconds(5));
      DatabaseUnreachableException missing =
          assertThrows(
              DatabaseUnreachableException.class,
              () ->
                  DatabaseProbe.checkReachable(
                      new DatabaseSettings(
                          "jdbc:postgresql://127.0.0.1:" + PORT + "/no_such_db",
                          db.settings().user(),
                          db.settings().password()),
                      Duration.ofSeconds(5)));
      assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
      DatabaseUnreachableException noPassword =
          assertThrows(
              DatabaseUnreachableException.class,
              () ->
                  DatabaseProbe.checkReachable(
                      new DatabaseSettings(db.settings().jdbcUrl(), "postgres", ""),
                      Duration.ofSeconds(5)));
      assertTrue(
          noPassword
              .getMessage()
              .endsWith(
                  "the server asks user 'postgres' for a password and none was given (set"
                      + " DATABASE_PASSWORD or put it in DATABASE_URL)"),
          noPassword.getMessage());
      DatabaseUnreachableException wrong =
          assertThrows(
              DatabaseUnreachableException.class,
              () ->
                  DatabaseProbe.checkReachable(
                      new DatabaseSettings(db.settings().jdbcUrl(), "llada", "wrong-password"),
                      Duration.ofSeconds(5)));
      assertTrue(
          wrong.getMessage().contains("authentication failed for user 'llada'"),
          wrong.getMessage());
      assertFalse(wrong.getMessage().contains("wrong-password"), wrong.getMessage());
    }
    DatabaseUnreachableException refused =
        assertThrows(
            DatabaseUnreachableException.class,
            () ->
                DatabaseProbe.checkReachable(
                    DatabaseSettings.parse(
                        "postgresql://u:p@127.0.0.1:" + PORT + "/llada", null, null),
                    Duration.ofSeconds(3)));
    assertTrue(
        refused.getMessage().startsWith("cannot use the configured database at 127.0.0.1:" + PORT),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("no PostgreSQL answered"), refused.getMessage());
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

  /** The highest version among the migrations in the sources (V&lt;n&gt;__*.sql). */
  private static String latestMigration() throws java.io.IOException {
    try (var files = Files.list(Path.of("src", "main", "resources", "db", "migration"))) {
      return Integer.toString(
          files
              .map(f -> f.getFileName().toString())
              .filter(n -> n.matches("V\\d+__.*\\.sql"))
              .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__"))))
              .max()
              .orElseThrow());
    }
  }
}

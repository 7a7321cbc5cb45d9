package dev.llada.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upgrades a database populated at schema 4 — tenants, entitlements, users, keys, the ledger and
 * its counters, versions with tags, aliases with history, the request log, idempotent responses —
 * to the current schema, and checks that every row is still there, unchanged (issue #14, item 7).
 * Each new migration is upgraded through by this test as it lands.
 */
class MigrationUpgradeIT {

  private static final int PORT = Integer.getInteger("it.db.port", 18433);

  private static final List<String> TABLES =
      List.of(
          "tenant",
          "tenant_entitlement",
          "tenant_user",
          "api_key",
          "usage_ledger",
          "quota_counter",
          "model_variant",
          "model_version",
          "model_version_tag",
          "model_alias",
          "model_alias_history",
          "request_log",
          "idempotent_response");

  /** A reservation its JVM never settled (it crashed before schema 8 had leases). */
  private static final String OPEN = "'60000000-0000-4000-8000-000000000002'";

  @TempDir Path temp;

  @Test
  void upgradingFromSchema4LosesNothing() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), PORT, false)) {
      DataSource ds = db.dataSource();
      Flyway.configure(Migrations.class.getClassLoader())
          .dataSource(ds)
          .locations(Migrations.LOCATION)
          .target("4")
          .load()
          .migrate();
      populate(ds);
      Map<String, String> columns = columns(ds); // as they were at schema 4
      Map<String, List<String>> before = snapshot(ds, columns);
      for (String table : TABLES) {
        assertTrue(!before.get(table).isEmpty(), table + " was populated");
      }
      Migrations.Report report = Migrations.migrate(ds);
      assertTrue(Integer.parseInt(report.schemaVersion()) > 4, report.toString());
      Map<String, List<String>> after = snapshot(ds, columns);
      for (String table : TABLES) {
        assertEquals(before.get(table), after.get(table), "table " + table);
      }
      // schema 8: the open reservation got a lease, due an hour after it was made
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT count(*), bool_and(l.expires_at = r.created_at + interval '1 hour')"
                      + " FROM reservation_lease l JOIN usage_ledger r ON r.request_id ="
                      + " l.request_id AND r.entry = 'RESERVE'")) {
        rs.next();
        assertEquals(1, rs.getInt(1), "one lease, for the reservation left open");
        assertTrue(rs.getBoolean(2));
      }
    }
  }

  private static void populate(DataSource ds) throws Exception {
    String t = "'10000000-0000-4000-8000-000000000001'";
    String k = "'20000000-0000-4000-8000-000000000001'";
    String u = "'30000000-0000-4000-8000-000000000001'";
    String v1 = "'40000000-0000-4000-8000-000000000001'";
    String v2 = "'40000000-0000-4000-8000-000000000002'";
    String a = "'50000000-0000-4000-8000-000000000001'";
    String r = "'60000000-0000-4000-8000-000000000001'";
    execute(
        ds,
        "INSERT INTO tenant (id, slug, display_name, requests_per_minute, tokens_per_day)"
            + " VALUES ("
            + t
            + ", 'acme', 'Acme Corp', 60, 100000)",
        "INSERT INTO tenant_entitlement (tenant_id, variant_code) VALUES (" + t + ", 'INSTRUCT')",
        "INSERT INTO tenant_user (id, tenant_id, issuer, subject, email, role) VALUES ("
            + u
            + ", "
            + t
            + ", 'https://idp', 'alice', 'alice@acme.test', 'OWNER')",
        "INSERT INTO api_key (id, tenant_id, name, prefix, secret_sha256, scopes, max_concurrent,"
            + " created_by) VALUES ("
            + k
            + ", "
            + t
            + ", 'laptop', 'llk_abcdefgh', '"
            + "c".repeat(64)
            + "', 'inference,models:read', 2, "
            + u
            + ")",
        "INSERT INTO model_version (id, variant_code, name, version, digest, artifact_uri,"
            + " parameter_count, dtype, layout, model_card, training_job, dataset) VALUES ("
            + v1
            + ", 'INSTRUCT', 'acme-sft', 1, 'sha256:"
            + "a".repeat(64)
            + "', 'file:///m/1', 1000, 'F32', 'single', '# card', 'job-7', 'prefs-1')",
        "INSERT INTO model_version (id, variant_code, name, version, digest, artifact_uri,"
            + " parameter_count, dtype, base_version_id) VALUES ("
            + v2
            + ", 'INSTRUCT', 'acme-sft', 2, 'sha256:"
            + "b".repeat(64)
            + "', 'file:///m/2', 1000, 'BF16', "
            + v1
            + ")",
        "INSERT INTO model_version_tag (version_id, key, value) VALUES (" + v2 + ", 'stage', 'ok')",
        "INSERT INTO model_alias (id, tenant_id, alias, version_id) VALUES ("
            + a
            + ", "
            + t
            + ", 'sft@prod', "
            + v2
            + ")",
        "INSERT INTO model_alias_history (alias_id, version_id, action) VALUES ("
            + a
            + ", "
            + v1
            + ", 'CREATE'), ("
            + a
            + ", "
            + v2
            + ", 'PROMOTE')",
        "INSERT INTO usage_ledger (request_id, entry, tenant_id, api_key_id, model, endpoint,"
            + " prompt_tokens, completion_tokens, compute_units, outcome) VALUES ("
            + r
            + ", 'RESERVE', "
            + t
            + ", "
            + k
            + ", 'sft@prod', '/v1/chat/completions', 5, 8, 104, NULL), ("
            + r
            + ", 'SETTLE', "
            + t
            + ", "
            + k
            + ", 'sft@prod', '/v1/chat/completions', 5, 6, 78, 'SUCCESS'), ("
            + OPEN
            + ", 'RESERVE', "
            + t
            + ", "
            + k
            + ", 'sft@prod', '/v1/completions', 3, 16, 160, NULL)",
        "INSERT INTO quota_counter (scope_kind, scope_id, metric, window_start, used) VALUES"
            + " ('TENANT', "
            + t
            + ", 'TOKENS', date_trunc('day', now()), 6), ('KEY', "
            + k
            + ", 'UNITS', date_trunc('month', now()), 78)",
        "INSERT INTO request_log (request_id, tenant_id, api_key_id, method, path, model, status,"
            + " prompt_tokens, completion_tokens, compute_units, latency_ms) VALUES ("
            + r
            + ", "
            + t
            + ", "
            + k
            + ", 'POST', '/v1/chat/completions', 'sft@prod', 200, 5, 6, 78, 41)",
        "INSERT INTO idempotent_response (tenant_id, key, request_hash, status, body) VALUES ("
            + t
            + ", 'invoice-1', '"
            + "d".repeat(64)
            + "', 200, '{\"ok\":true}')");
  }

  /** Each table's columns, comma-separated, in their order. */
  private static Map<String, String> columns(DataSource ds) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)"
                    + " FROM information_schema.columns WHERE table_name = '"
                    + table
                    + "'")) {
          rs.next();
          out.put(table, rs.getString(1));
        }
      }
    }
    return out;
  }

  /** The rows of every table as text, over the columns it had before (new columns aside). */
  private static Map<String, List<String>> snapshot(DataSource ds, Map<String, String> columns)
      throws Exception {
    Map<String, List<String>> out = new TreeMap<>();
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String table : TABLES) {
        List<String> rows = new ArrayList<>();
        try (ResultSet rs =
            s.executeQuery(
                "SELECT ROW(" + columns.get(table) + ")::text FROM " + table + " ORDER BY 1")) {
          while (rs.next()) {
            rows.add(rs.getString(1));
          }
        }
        out.put(table, rows);
      }
    }
    return out;
  }

  private static void execute(DataSource ds, String... statements) throws Exception {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }
}

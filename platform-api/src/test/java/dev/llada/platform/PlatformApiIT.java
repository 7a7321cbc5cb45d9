package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.File;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged WAR on a managed Payara Micro against a real PostgreSQL: readiness, the model list
 * read through JPA, error envelopes, OpenAPI, the console page and loopback-only listeners.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class PlatformApiIT {

  private static final int HTTP_PORT = Integer.getInteger("it.http.port", 18081);

  /** The platform's master key, as arquillian.xml configures it. */
  static final String MASTER_KEY = "it-master-key-0123456789";

  private static final String BASE = "http://127.0.0.1:" + HTTP_PORT;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * Arquillian calls this before it launches Payara, so PostgreSQL is up (and seeded) before the
   * application's own Flyway run, which then finds nothing to do.
   */
  @Deployment(testable = false)
  static WebArchive deployment() throws IOException, SQLException {
    ItDatabase.start();
    ItDatabase.execute(
        "INSERT INTO model_version (id, variant_code, name, version, digest, artifact_uri,"
            + " parameter_count, dtype) VALUES ('6f1c1a9e-0000-4000-8000-000000000001', 'INSTRUCT',"
            + " 'llada-experimental', 3, 'sha256:"
            + "ab".repeat(32)
            + "', 'file:///models/llada-experimental', 2400000, 'F32') ON CONFLICT DO NOTHING",
        "INSERT INTO model_alias (id, alias, version_id) VALUES (gen_random_uuid(),"
            + " 'instruct@prod', '6f1c1a9e-0000-4000-8000-000000000001') ON CONFLICT DO NOTHING");
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  /** Retention (issue #14, item 5): the sweeper deletes what is past its time, nothing else. */
  @Test
  void theRetentionSweeperDeletesWhatIsPastItsTimeUnderItsLease() throws Exception {
    ItDatabase.execute(
        "INSERT INTO request_log (request_id, method, path, status, latency_ms, created_at) VALUES"
            + " ('00000000-0000-4000-8000-0000000000a1', 'GET', '/v1/models', 200, 1,"
            + " now() - interval '40 days'),"
            + " ('00000000-0000-4000-8000-0000000000a2', 'GET', '/v1/models', 200, 1,"
            + " now() - interval '29 days')",
        "INSERT INTO tenant (id, slug, display_name) VALUES (gen_random_uuid(), 'retention',"
            + " 'Retention')",
        "INSERT INTO idempotent_response (owner, tenant_id, key, request_hash, status, body,"
            + " created_at) SELECT 'tenant:' || id, id, k, repeat('a', 64), 200, '{}',"
            + " now() - h * interval '1 hour'"
            + " FROM tenant, (VALUES ('old-key', 25), ('fresh-key', 23)) AS x(k, h)"
            + " WHERE slug = 'retention'");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ItDatabase.queryLong(
                "SELECT count(*) FROM request_log WHERE request_id ="
                    + " '00000000-0000-4000-8000-0000000000a1'")
            + ItDatabase.queryLong("SELECT count(*) FROM idempotent_response WHERE key = 'old-key'")
        > 0) {
      assertTrue(System.nanoTime() < deadline, "the sweeper never ran (every 2 s in the ITs)");
      Thread.sleep(250);
    }
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM request_log WHERE request_id ="
                + " '00000000-0000-4000-8000-0000000000a2'"),
        "29 days old: kept");
    assertEquals(
        1,
        ItDatabase.queryLong("SELECT count(*) FROM idempotent_response WHERE key = 'fresh-key'"));
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM lease WHERE name = 'retention-sweeper' AND expires_at > now()"),
        "held by this platform");
  }

  /**
   * Counter windows no admission asks about any more are swept, and the drift check and
   * reconciliation then look at kept windows only: the books still balance, and nothing old comes
   * back.
   */
  @Test
  void oldCounterWindowsAreSweptAndTheBooksStillBalance() throws Exception {
    ApiClient.createTenant("windows", null, "INSTRUCT");
    String t = json(ApiClient.admin().get("/v1/admin/tenants/windows")).getString("id");
    String old = "now() - interval '40 days'";
    ItDatabase.execute(
        "INSERT INTO usage_ledger (request_id, entry, tenant_id, model, endpoint, prompt_tokens,"
            + " completion_tokens, compute_units, outcome, created_at) VALUES"
            + " ('00000000-0000-4000-8000-0000000000b1', 'RESERVE', '"
            + t
            + "', 'm',"
            + " '/v1/completions', 1, 5, 50, NULL, "
            + old
            + "),"
            + " ('00000000-0000-4000-8000-0000000000b1', 'SETTLE', '"
            + t
            + "', 'm',"
            + " '/v1/completions', 1, 3, 30, 'SUCCESS', "
            + old
            + ")",
        "INSERT INTO quota_counter (scope_kind, scope_id, metric, window_start, used) VALUES"
            + " ('TENANT', '"
            + t
            + "', 'REQUESTS', date_trunc('minute', "
            + old
            + ", 'UTC'), 1),"
            + " ('TENANT', '"
            + t
            + "', 'TOKENS', date_trunc('day', "
            + old
            + ", 'UTC'), 3),"
            + " ('TENANT', '"
            + t
            + "', 'UNITS', date_trunc('month', "
            + old
            + ", 'UTC'), 30)");
    String counters = "SELECT count(*) FROM quota_counter WHERE scope_id = '" + t + "'";
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (ItDatabase.queryLong(counters) > 1) {
      assertTrue(System.nanoTime() < deadline, "the sweeper never removed the old windows");
      Thread.sleep(250);
    }
    assertEquals(
        1,
        ItDatabase.queryLong(counters + " AND metric = 'UNITS'"),
        "40 days of month windows are kept");
    JsonObject drift = json(ApiClient.admin().get("/v1/admin/tenants/windows/usage/drift"));
    assertTrue(drift.getBoolean("consistent"), drift.toString());
    JsonObject repaired =
        json(ApiClient.admin().post("/v1/admin/tenants/windows/usage/reconcile", ""));
    assertEquals(0, repaired.getJsonArray("repaired").size(), repaired.toString());
    assertEquals(
        0,
        ItDatabase.queryLong(counters + " AND metric IN ('REQUESTS', 'TOKENS')"),
        "reconciliation brings no old window back");
    assertEquals(1, ItDatabase.queryLong(counters + " AND metric = 'UNITS'"));
  }

  @Test
  void readinessChecksTheDatabaseThroughHibernate() throws Exception {
    HttpResponse<String> live = get("/health/live");
    assertEquals(200, live.statusCode(), live.body());
    HttpResponse<String> ready = get("/health/ready");
    assertEquals(200, ready.statusCode(), ready.body());
    JsonObject check = databaseCheck(json(ready));
    assertEquals("database", check.getString("name"));
    assertEquals("UP", check.getString("status"));
    JsonObject data = check.getJsonObject("data");
    assertEquals("16", data.getString("schemaVersion"));
    assertTrue(data.getString("server").startsWith("PostgreSQL 17"), data.toString());
    assertTrue(data.getString("persistenceProvider").startsWith("org.hibernate."), data.toString());
  }

  @Test
  void listsTheSeededVariantsAndAliasesInOpenAiFormat() throws Exception {
    HttpResponse<String> response = get("/v1/models");
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(
        response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    JsonObject list = json(response);
    assertEquals("list", list.getString("object"));
    List<JsonObject> models =
        list.getJsonArray("data").stream().map(JsonValue::asJsonObject).toList();
    Set<String> ids = models.stream().map(m -> m.getString("id")).collect(Collectors.toSet());
    Set<String> expected =
        new java.util.HashSet<>(
            Set.of(
                "llada-8b-base",
                "llada-8b-instruct",
                "llada-1.5",
                "llada-moe-7b-a1b-instruct",
                "llada-v",
                "instruct@prod"));
    expected.addAll(shippedZoo()); // the bundled models register themselves
    // other IT classes share the database and may have added aliases of their own
    assertTrue(ids.containsAll(expected), ids + " lacks some of " + expected);
    for (JsonObject model : models) {
      assertEquals("model", model.getString("object"));
      assertTrue(model.getJsonNumber("created").longValue() > 1_700_000_000L, model.toString());
      assertFalse(model.getString("owned_by").isBlank());
    }
    JsonObject alias =
        models.stream()
            .filter(m -> m.getString("id").equals("instruct@prod"))
            .findFirst()
            .orElseThrow();
    assertEquals("INSTRUCT", alias.getString("variant"));
    assertEquals("llada-experimental:3", alias.getString("version"));
  }

  /** Model directories the platform should have registered from {@code models/}. */
  private static List<String> shippedZoo() throws IOException {
    Path zoo = Path.of(System.getProperty("it.models.dir", "../models"));
    List<String> shipped = new java.util.ArrayList<>();
    if (java.nio.file.Files.isDirectory(zoo)) {
      try (var dirs = java.nio.file.Files.list(zoo)) {
        dirs.filter(d -> java.nio.file.Files.isRegularFile(d.resolve("config.json")))
            .map(d -> d.getFileName().toString())
            .filter(
                n ->
                    n.endsWith("-base")
                        || n.endsWith("-instruct")
                        || n.endsWith("-1.5")
                        || n.endsWith("-moe")
                        || n.endsWith("-v"))
            .forEach(shipped::add);
      }
    }
    return shipped;
  }

  @Test
  void theBundledZooRegisteredItself() throws Exception {
    List<String> shipped = shippedZoo();
    JsonObject ready = databaseCheck(json(get("/health/ready")));
    assertEquals(
        Integer.toString(shipped.size()),
        ready.getJsonObject("data").get("zooModels").toString().replace("\"", ""),
        ready.toString());
    for (String name : shipped) {
      HttpResponse<String> response = get("/v1/models/" + name);
      assertEquals(200, response.statusCode(), response.body());
      JsonObject model = json(response);
      assertEquals(
          name.endsWith("-instruct")
              ? "INSTRUCT"
              : name.endsWith("-1.5")
                  ? "V1_5"
                  : name.endsWith("-moe") ? "MOE" : name.endsWith("-v") ? "VISION" : "BASE",
          model.getString("variant"));
      assertEquals(name + ":1", model.getString("version"));
    }
  }

  @Test
  void everyV1PathWantsAKey() throws Exception {
    for (String key : new String[] {null, "llk_not-a-real-key", "Basic abc"}) {
      var b = HttpRequest.newBuilder(URI.create(BASE + "/v1/models"));
      if (key != null) {
        b.header("Authorization", key.startsWith("Basic") ? key : "Bearer " + key);
      }
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, r.statusCode(), r.body());
      JsonObject error = json(r).getJsonObject("error");
      assertEquals("authentication_error", error.getString("type"));
      assertTrue(r.headers().firstValue("x-request-id").isPresent());
    }
  }

  @Test
  void retrievesOneModel() throws Exception {
    HttpResponse<String> response = get("/v1/models/llada-moe-7b-a1b-instruct");
    assertEquals(200, response.statusCode(), response.body());
    JsonObject model = json(response);
    assertEquals("llada-moe-7b-a1b-instruct", model.getString("id"));
    assertEquals("MOE", model.getString("variant"));
    assertEquals("inclusionai", model.getString("owned_by"));
  }

  @Test
  void unknownModelIsA404InTheOpenAiEnvelope() throws Exception {
    HttpResponse<String> response = get("/v1/models/gpt-4o");
    assertEquals(404, response.statusCode(), response.body());
    JsonObject error = json(response).getJsonObject("error");
    assertEquals("model_not_found", error.getString("code"));
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("model", error.getString("param"));
    assertTrue(error.getString("message").contains("gpt-4o"));
  }

  @Test
  void badInputIsA400WithTheParameterNamed() throws Exception {
    HttpResponse<String> response = get("/v1/models/" + "x".repeat(300));
    assertEquals(400, response.statusCode(), response.body());
    JsonObject error = json(response).getJsonObject("error");
    assertEquals("invalid_request", error.getString("code"));
    assertEquals("invalid_request_error", error.getString("type"));
    assertEquals("model", error.getString("param"), response.body());
    assertTrue(error.getString("message").contains("256"), response.body());
  }

  @Test
  void unknownPathsAndMethodsGetTheEnvelopeToo() throws Exception {
    for (String path : List.of("/v1/no-such-endpoint", "/nothing/here")) {
      HttpResponse<String> response = get(path);
      assertEquals(404, response.statusCode(), path + " -> " + response.body());
      JsonObject error = json(response).getJsonObject("error");
      assertEquals("not_found", error.getString("code"), response.body());
      assertTrue(error.containsKey("param"), "param is present, as null: " + response.body());
      assertTrue(error.isNull("param"));
      assertFalse(response.body().contains("Exception"), response.body());
    }
    HttpResponse<String> delete =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(BASE + "/v1/models"))
                .header("Authorization", "Bearer " + MASTER_KEY)
                .DELETE()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, delete.statusCode(), delete.body());
    assertEquals("method_not_allowed", json(delete).getJsonObject("error").getString("code"));
  }

  @Test
  void publishesOpenApiAndTheConsolePage() throws Exception {
    HttpResponse<String> openapi = get("/openapi");
    assertEquals(200, openapi.statusCode());
    assertTrue(openapi.body().contains("/v1/models"), openapi.body());
    assertTrue(openapi.body().contains("LLaDA Platform API"), openapi.body());
    HttpResponse<String> console = get("/console/");
    assertEquals(200, console.statusCode(), console.body());
    assertTrue(console.body().contains("<title>LLaDA Platform console</title>"));
  }

  @Test
  void listensOnLoopbackOnly() throws Exception {
    List<Listeners.Socket> sockets = Listeners.listening();
    assertTrue(
        sockets.contains(new Listeners.Socket("127.0.0.1", HTTP_PORT)),
        "HTTP on 127.0.0.1:" + HTTP_PORT + " in " + sockets);
    assertFalse(
        sockets.stream().anyMatch(s -> s.port() == HTTP_PORT && !s.address().equals("127.0.0.1")),
        "HTTP bound beyond loopback: " + sockets);
    assertFalse(
        sockets.stream().anyMatch(s -> s.port() >= 6900 && s.port() < 6910),
        "Hazelcast (port 6900+) must not listen in single-node mode: " + sockets);
  }

  private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(BASE + path))
            .header("Authorization", "Bearer " + MASTER_KEY)
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject json(HttpResponse<String> response) {
    try (var reader = Json.createReader(new StringReader(response.body()))) {
      return reader.readObject();
    }
  }

  /** The readiness answer's "database" check (the worker has one too; their order is not fixed). */
  private static JsonObject databaseCheck(JsonObject health) {
    return health.getJsonArray("checks").stream()
        .map(jakarta.json.JsonValue::asJsonObject)
        .filter(c -> c.getString("name").equals("database"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no database check in " + health));
  }
}

package dev.llada.platform;

import static dev.llada.platform.ApiClient.admin;
import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The edge (issue #13) on the packaged WAR against a real PostgreSQL: one regression test per fault
 * the fuzz run of the issue found, then a seeded fuzz run of its own (over 1,000 hostile requests
 * in 13 categories against every tenant and admin endpoint) that must see no 5xx, no hang, the
 * OpenAI envelope on every error, the platform alive after it, the stored data unchanged, and a
 * request log and ledger that grew by exactly what was answered.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class EdgeIT {

  private static final String MODEL = "llada-tiny-instruct";
  private static final int MIB = 1 << 20;

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static String tenantKey;

  private static synchronized ApiClient tenant() throws Exception {
    if (tenantKey == null) {
      createTenant("edge", null, "INSTRUCT");
      tenantKey =
          createKey("edge", "\"scopes\":[\"inference\",\"models:read\",\"usage:read\",\"files\"]");
    }
    return new ApiClient(tenantKey);
  }

  private static String chat(String extra) {
    return "{\"model\":\""
        + MODEL
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"sort 31:\"}],\"max_tokens\":4,"
        + "\"steps\":4"
        + (extra == null ? "" : "," + extra)
        + "}";
  }

  private static RawHttp.Response raw(
      String method, String path, String key, byte[] body, boolean chunked, String... headers)
      throws InterruptedException {
    List<String[]> h = new ArrayList<>();
    if (key != null) {
      h.add(new String[] {"Authorization", "Bearer " + key});
    }
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    for (int i = 0; i + 1 < headers.length; i += 2) {
      h.add(new String[] {headers[i], headers[i + 1]});
    }
    return RawHttp.send(new RawHttp.Request(method, path, h, body, chunked, null), 60_000);
  }

  /** A JSON body of about {@code bytes} bytes: one string field of that size. */
  private static byte[] big(String field, int bytes) {
    byte[] b = new byte[bytes];
    Arrays.fill(b, (byte) 'a');
    byte[] prefix = ("{\"model\":\"" + MODEL + "\",\"" + field + "\":\"").getBytes();
    System.arraycopy(prefix, 0, b, 0, prefix.length);
    b[bytes - 2] = '"';
    b[bytes - 1] = '}';
    return b;
  }

  /** The response is the OpenAI error object with this status and code (and param if given). */
  private static JsonObject envelope(RawHttp.Response r, int status, String code, String param) {
    assertEquals(status, r.status(), r.text() + " " + r.failure());
    JsonObject error = json(r.text()).getJsonObject("error");
    assertNotNull(error, r.text());
    assertFalse(error.getString("message").isBlank());
    assertTrue(error.containsKey("type") && error.containsKey("param"), r.text());
    if (code != null) {
      assertEquals(code, error.getString("code"), r.text());
    }
    if (param != null) {
      assertEquals(param, error.getString("param"), r.text());
    }
    return error;
  }

  private static JsonObject envelope(HttpResponse<String> r, int status, String code, String p) {
    return envelope(
        new RawHttp.Response(
            r.statusCode(), Map.of(), r.body().getBytes(StandardCharsets.UTF_8), null),
        status,
        code,
        p);
  }

  private static void alive() throws Exception {
    HttpResponse<String> health = new ApiClient(null).get("/health/ready");
    assertEquals(200, health.statusCode(), health.body());
  }

  // --- one regression test per fault of issue #13 ------------------------------------------

  @Test
  void aChunkedPromptOverTheCapIsRefusedUnreadAndThePlatformLives() throws Exception {
    tenant();
    for (int size : new int[] {8 * MIB, 1 * MIB + MIB / 10}) {
      RawHttp.Response r =
          raw(
              "POST",
              "/v1/completions",
              tenantKey,
              big("prompt", size),
              true,
              "Connection",
              "keep-alive");
      envelope(r, 413, "request_too_large", null);
      assertEquals("close", r.header("Connection"));
      alive();
    }
    RawHttp.Response sized =
        raw("POST", "/v1/completions", tenantKey, big("prompt", 3 * MIB), false);
    envelope(sized, 413, "request_too_large", null);
    RawHttp.Response patch =
        raw(
            "PATCH",
            "/v1/admin/tenants/edge",
            ApiClient.MASTER_KEY,
            big("display_name", 2 * MIB),
            true);
    envelope(patch, 413, "request_too_large", null);
    RawHttp.Response idem =
        raw(
            "POST",
            "/v1/chat/completions",
            tenantKey,
            big("x", 2 * MIB),
            true,
            "Idempotency-Key",
            "edge-big");
    envelope(idem, 413, "request_too_large", null);
    assertEquals(
        0,
        ItDatabase.queryLong("SELECT count(*) FROM idempotent_response WHERE key = 'edge-big'"),
        "the idempotency filter never saw it");
    alive();
    // under the cap but over the model's context: refused on bytes, naming the right field
    byte[] long900k = big("prompt", 900_000);
    envelope(
        raw("POST", "/v1/completions", tenantKey, long900k, true),
        400,
        "context_length_exceeded",
        "prompt");
  }

  @Test
  void topLevelValuesThatAreNotObjectsAre400OnEveryWriter() throws Exception {
    tenant();
    String[][] writers = {
      {"POST", "/v1/completions"}, {"POST", "/v1/chat/completions"},
      {"POST", "/v1/diffusion/generate"}, {"POST", "/v1/loglikelihood"},
      {"POST", "/v1/admin/tenants"}, {"PATCH", "/v1/admin/tenants/edge"},
      {"POST", "/v1/admin/tenants/edge/keys"}, {"POST", "/v1/admin/tenants/edge/users"},
      {"POST", "/v1/admin/models"}, {"PATCH", "/v1/admin/models/" + MODEL + "/versions/1/tags"},
      {"PUT", "/v1/admin/aliases/edge-alias"}
    };
    for (String[] w : writers) {
      String key = w[1].startsWith("/v1/admin") ? ApiClient.MASTER_KEY : tenantKey;
      for (String body : new String[] {"true", "null", "[]", "\"\"", "1"}) {
        envelope(raw(w[0], w[1], key, body.getBytes(), false), 400, "invalid_json", null);
      }
    }
  }

  @Test
  void nestingAThousandDeepAndANulAtTheEndOfAModelNameAre400() throws Exception {
    ApiClient t = tenant();
    envelope(
        t.post("/v1/chat/completions", chat("\"x\":" + "[".repeat(1000) + "]".repeat(1000))),
        400,
        "invalid_json",
        null);
    envelope(
        t.post(
            "/v1/chat/completions",
            "{\"model\":\""
                + MODEL
                + "\\u0000\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
        400,
        "invalid_json",
        "model");
  }

  @Test
  void aLikelihoodOfOneBatchAnswersAndIsBilledOnce() throws Exception {
    HttpResponse<String> r =
        tenant()
            .post(
                "/v1/loglikelihood",
                "{\"model\":\""
                    + MODEL
                    + "\",\"context\":\"sort 21:\",\"continuation\":\"12\","
                    + "\"mc_num\":8,\"batch_size\":8}");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject answer = json(r);
    assertEquals(JsonValue.NULL, answer.get("standard_error"), "one batch has no standard error");
    assertTrue(Double.isFinite(answer.getJsonNumber("log_likelihood").doubleValue()));
    String id = r.headers().firstValue("x-request-id").orElseThrow();
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger WHERE request_id = '"
                + id
                + "' AND entry = 'SETTLE' AND outcome = 'SUCCESS'"));
    assertEquals(
        200,
        ItDatabase.queryLong("SELECT status FROM request_log WHERE request_id = '" + id + "'"));
  }

  @Test
  void numbersOutOfTheirColumnsRangeAre400NamingThem() throws Exception {
    tenant();
    ApiClient a = admin();
    envelope(
        a.post(
            "/v1/admin/tenants",
            "{\"slug\":\"edge-big\",\"limits\":{\"requests_per_minute\":3000000000}}"),
        400,
        "invalid_request",
        "requests_per_minute");
    envelope(
        a.patch("/v1/admin/tenants/edge", "{\"limits\":{\"max_concurrent\":2147483648}}"),
        400,
        "invalid_request",
        "max_concurrent");
    envelope(
        a.post(
            "/v1/admin/tenants/edge/keys",
            "{\"name\":\"k\",\"limits\":{\"requests_per_minute\":3000000000}}"),
        400,
        "invalid_request",
        "requests_per_minute");
    envelope(
        a.post(
            "/v1/admin/tenants/edge/keys",
            "{\"name\":\"k\",\"limits\":{\"max_concurrent\":2147483648}}"),
        400,
        "invalid_request",
        "max_concurrent");
    assertEquals(404, a.get("/v1/admin/tenants/edge-big").statusCode(), "nothing was created");
    JsonObject error =
        envelope(
            tenant()
                .post(
                    "/v1/diffusion/generate",
                    "{\"model\":\""
                        + MODEL
                        + "\",\"prompt\":\"x\",\"stream\":false,\"steps\":3000000000}"),
            400,
            "invalid_request",
            "steps");
    assertTrue(error.getString("message").contains("3000000000"), error.toString());
    error =
        envelope(
            tenant()
                .post(
                    "/v1/completions",
                    "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\",\"max_tokens\":3000000000}"),
            400,
            "invalid_request",
            "max_tokens");
    assertEquals(
        "'max_tokens' must be between 1 and 1048576, got 3000000000.", error.getString("message"));
  }

  @Test
  void overLongStringsAndNulsAre400BeforeTheDatabase() throws Exception {
    tenant();
    ApiClient a = admin();
    envelope(
        a.post(
            "/v1/admin/models",
            "{\"name\":\"edge-m\",\"variant\":\"INSTRUCT\",\"path\":\"/tmp\",\"training_job\":\""
                + "j".repeat(200)
                + "\"}"),
        400,
        "invalid_request",
        "training_job");
    envelope(
        a.post("/v1/admin/tenants/edge/keys", "{\"name\":\"a\\u0000b\"}"),
        400,
        "invalid_json",
        "name");
    envelope(
        a.post(
            "/v1/admin/tenants/edge/users",
            "{\"issuer\":\"https://idp\",\"subject\":\"u\\u0000\"}"),
        400,
        "invalid_json",
        "subject");
    envelope(
        a.put("/v1/admin/aliases/edge-alias", "{\"version\":\"" + MODEL + ":1\\u0000\"}"),
        400,
        "invalid_json",
        "version");
    envelope(a.get("/v1/admin/usage?tenant=ed%00ge"), 400, "invalid_request", "tenant");
    envelope(
        a.get("/v1/admin/aliases/" + MODEL + "/history?tenant=%00"),
        400,
        "invalid_request",
        "tenant");
  }

  @Test
  void unknownMethodsAre405InTheEnvelope() throws Exception {
    for (String path : new String[] {"/health/ready", "/v1/models", "/console/", "/nothing"}) {
      for (String method : new String[] {"FOO", "TRACE", "PROPFIND"}) {
        RawHttp.Response r = raw(method, path, tenant().key(), null, false);
        envelope(r, 405, "method_not_allowed", null);
        assertNotNull(r.header("Allow"), method + " " + path);
      }
    }
  }

  @Test
  void trailingDataAndASecondValueAreRefusedAndChangeNothing() throws Exception {
    tenant();
    ApiClient a = admin();
    String before = a.get("/v1/admin/models/" + MODEL + "/versions/1").body();
    envelope(
        a.patch(
            "/v1/admin/models/" + MODEL + "/versions/1/tags",
            "{\"model\":\"llada-tiny-instruct\"} trailing"),
        400,
        "invalid_json",
        null);
    assertEquals(before, a.get("/v1/admin/models/" + MODEL + "/versions/1").body());
    String tenantBefore = a.get("/v1/admin/tenants/edge").body();
    envelope(a.patch("/v1/admin/tenants/edge", "{\"a\":1}{\"b\":2}"), 400, "invalid_json", null);
    envelope(
        a.patch("/v1/admin/tenants/edge", "{\"status\":\"SUSPENDED\",\"status\":\"ACTIVE\"}"),
        400,
        "invalid_json",
        "status");
    assertEquals(tenantBefore, a.get("/v1/admin/tenants/edge").body());
  }

  @Test
  void theContainersOwnErrorsAreInTheEnvelope() throws Exception {
    String key = tenant().key();
    envelope(raw("GET", "/v1/models%ff", key, null, false), 400, "invalid_request", null);
    envelope(raw("GET", "/v1/models/%c0%af", key, null, false), 400, "invalid_request", null);
    envelope(
        RawHttp.send(
            new RawHttp.Request("GET", "/v1/models/\u00ff", List.of(), null, false, null), 30_000),
        400,
        "invalid_request",
        null);
    envelope(
        raw("GET", "/v1/models", key, null, false, "X-Big", "b".repeat(20_000)),
        431,
        "headers_too_large",
        null);
    envelope(
        raw("GET", "/v1/models/" + "m".repeat(10_000), key, null, false),
        414,
        "uri_too_long",
        null);
    envelope(
        raw(
            "DELETE",
            "/v1/admin/tenants/edge/keys/" + java.util.UUID.randomUUID(),
            ApiClient.MASTER_KEY,
            "{\"a\":1}".getBytes(),
            false),
        400,
        "unexpected_body",
        null);
    envelope(raw("GET", "/nothing", null, null, false), 404, "not_found", null);
    RawHttp.Response options = raw("OPTIONS", "/v1/models", key, null, false);
    assertEquals(200, options.status());
    assertFalse(options.text().contains("wadl"), "no generated WADL: " + options.text());
  }

  /**
   * Paths Payara's connector would refuse with an empty body (a NUL or backslash, dot segments
   * above the root) or answer with an empty 200 (a malformed escape) are answered by the connector
   * guard in the envelope, also on a kept-alive connection after a good request.
   */
  @Test
  void pathsTheConnectorWouldMangleAreAnsweredInTheEnvelope() throws Exception {
    String key = tenant().key();
    for (String path :
        new String[] {
          "/v1/mod%00els",
          "/v1/models/a%5Cb",
          "/v1/models/a\\b",
          "/v1/../../etc",
          "/v1/models%zz",
          "/v1/models%",
          "/health/%00"
        }) {
      RawHttp.Response r = raw("GET", path, key, null, false, "Connection", "keep-alive");
      envelope(r, 400, "invalid_request", null);
      assertEquals("close", r.header("Connection"), path);
    }
    String pipelined =
        "GET /health/ready HTTP/1.1\r\nHost: x\r\n\r\n"
            + "GET /v1/mod%00els HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    RawHttp.Response both =
        RawHttp.send(
            new RawHttp.Request(
                "", "", List.of(), null, false, pipelined.getBytes(StandardCharsets.US_ASCII)),
            30_000);
    assertEquals(200, both.status(), both.text());
    assertTrue(
        both.all().contains("HTTP/1.1 400") && both.all().contains("control character"),
        "the second request on the connection is answered in the envelope too: " + both.all());
    alive();
  }

  /** A refused body is never read as the next request of a kept-alive connection. */
  @Test
  void aRefusedBodyIsNotTakenForTheNextRequest() throws Exception {
    byte[] smuggled = new byte[2 * MIB];
    Arrays.fill(smuggled, (byte) ' ');
    byte[] inner =
        ("GET /v1/admin/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                + ApiClient.MASTER_KEY
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(inner, 0, smuggled, 0, inner.length);
    for (boolean chunked : new boolean[] {false, true}) {
      RawHttp.Response r =
          raw(
              "POST",
              "/v1/completions",
              tenant().key(),
              smuggled,
              chunked,
              "Connection",
              "keep-alive");
      envelope(r, 413, "request_too_large", null);
      assertEquals("close", r.header("Connection"));
      assertFalse(
          r.text().contains("\"object\":\"list\""), "nothing after the refusal: " + r.text());
    }
  }

  // --- the fuzz run --------------------------------------------------------------------------

  @Test
  void aThousandHostileRequestsLeaveThePlatformUpTheDataUnchangedAndTheBooksExact()
      throws Exception {
    tenant();
    // something in every table of the snapshot: a user, a tag and a tenant alias of the fuzz tenant
    ApiClient a = admin();
    assertEquals(
        201,
        a.post("/v1/admin/tenants/edge/users", "{\"issuer\":\"https://idp\",\"subject\":\"fz\"}")
            .statusCode());
    assertEquals(
        200,
        a.patch("/v1/admin/models/" + MODEL + "/versions/1/tags", "{\"stage\":\"fuzzed\"}")
            .statusCode());
    assertEquals(
        200,
        a.put("/v1/admin/aliases/edge-a?tenant=edge", "{\"version\":\"" + MODEL + ":1\"}")
            .statusCode());
    String fuzzKeyId =
        ItDatabase.queryString(
            "SELECT k.id FROM api_key k JOIN tenant t ON t.id = k.tenant_id WHERE t.slug = 'edge'"
                + " AND k.prefix = '"
                + tenantKey.substring(0, 12)
                + "'");

    Map<String, List<String>> before = snapshot();
    Map<String, String[]> logBefore = requestLog();
    Set<String> ledgerBefore = ledger().keySet();

    List<EdgeFuzz.Case> cases =
        new EdgeFuzz(20261201L, tenantKey, ApiClient.MASTER_KEY, MODEL, "edge").generate(80);
    assertTrue(cases.size() >= 1000, "cases: " + cases.size());
    Map<EdgeFuzz.Category, Integer> perCategory = new EnumMap<>(EdgeFuzz.Category.class);
    cases.forEach(c -> perCategory.merge(c.category(), 1, Integer::sum));
    perCategory.values().forEach(n -> assertTrue(n >= 50, perCategory.toString()));

    List<String> problems = new ArrayList<>();
    Map<String, RawHttp.Response> answered = new HashMap<>(); // x-request-id -> response
    Map<String, EdgeFuzz.Case> asked = new HashMap<>();
    Map<String, Integer> statuses = new TreeMap<>();
    for (EdgeFuzz.Case c : cases) {
      RawHttp.Response r = RawHttp.send(c.request(), 60_000);
      String what = c.category() + " " + c.request().method() + " " + shorten(c.request().target());
      statuses.merge(c.category() + ":" + r.status(), 1, Integer::sum);
      if (r.status() < 0) {
        problems.add(what + ": no answer (" + r.failure() + ")");
        continue;
      }
      if (r.failure() != null && r.failure().startsWith("no complete answer")) {
        problems.add(what + ": hung after its head (" + r.failure() + ")");
      }
      if (r.status() >= 500) {
        problems.add(what + ": " + r.status() + " " + shorten(r.text()));
      }
      if (c.writes() && r.status() < 400) {
        problems.add(what + ": a write was accepted: " + r.status() + " " + shorten(r.text()));
      }
      if (!c.expected().isEmpty() && !c.expected().contains(r.status())) {
        problems.add(
            what + ": " + r.status() + ", expected " + c.expected() + " " + shorten(r.text()));
      }
      if (r.status() >= 400 && !"HEAD".equals(c.request().method())) {
        String wrong = notAnEnvelope(r);
        if (wrong != null) {
          problems.add(what + ": " + r.status() + " not in the envelope: " + wrong);
        }
      }
      if (r.text().contains("Exception") || r.text().contains("<html")) {
        problems.add(what + ": internals in the body: " + shorten(r.text()));
      }
      String id = r.header("x-request-id");
      if (id != null) {
        answered.put(id, r);
        asked.put(id, c);
      }
    }
    assertTrue(
        problems.isEmpty(),
        problems.size()
            + " problems:\n"
            + String.join("\n", problems.subList(0, Math.min(40, problems.size())))
            + "\n"
            + statuses);

    // alive: ready, and a model still answers
    alive();
    HttpResponse<String> after = tenant().post("/v1/chat/completions", chat(null));
    assertEquals(200, after.statusCode(), after.body());

    // the data is unchanged
    Map<String, List<String>> now = snapshot();
    for (String table : before.keySet()) {
      assertEquals(before.get(table), now.get(table), "table " + table + " changed");
    }

    // the request log grew by exactly the requests answered through the API, as answered
    Map<String, String[]> logAfter = requestLog();
    Set<String> newRows = new HashSet<>(logAfter.keySet());
    newRows.removeAll(logBefore.keySet());
    newRows.remove(after.headers().firstValue("x-request-id").orElseThrow());
    assertEquals(answered.keySet(), newRows, "request log rows vs answered request ids");
    for (String id : newRows) {
      String[] row = logAfter.get(id); // api_key_id, status, error_code
      RawHttp.Response r = answered.get(id);
      assertEquals(String.valueOf(r.status()), row[1], "logged status of " + id);
      if (r.status() >= 400 && !"HEAD".equals(asked.get(id).request().method())) {
        assertEquals(
            json(r.text()).getJsonObject("error").getString("code"),
            row[2],
            "logged code of " + id);
      }
      if (row[0] != null) {
        assertEquals(fuzzKeyId, row[0], "attributed to the fuzzing key only");
        assertTrue(asked.get(id).fuzzKey(), "attributed to a key the request did not carry");
      }
    }

    // the ledger: every reservation of the run settled once; SUCCESS exactly for the 200s
    Map<String, String[]> ledgerAfter = ledger();
    Map<String, List<String>> entries = new HashMap<>();
    for (var e : ledgerAfter.entrySet()) {
      if (!ledgerBefore.contains(e.getKey())) {
        String[] row = e.getValue(); // request_id, entry, outcome, api_key_id
        entries.computeIfAbsent(row[0], k -> new ArrayList<>()).add(row[1] + ":" + row[2]);
        assertEquals(fuzzKeyId, row[3], "ledger rows only for the fuzzing key");
      }
    }
    entries.remove(after.headers().firstValue("x-request-id").orElseThrow());
    int successes = 0;
    for (var e : entries.entrySet()) {
      RawHttp.Response r = answered.get(e.getKey());
      assertNotNull(r, "a ledger entry for a request nobody got an answer to: " + e.getKey());
      boolean ok = r.status() == 200;
      List<String> expected = List.of("RESERVE:null", "SETTLE:" + (ok ? "SUCCESS" : "ERROR"));
      List<String> rows = new ArrayList<>(e.getValue());
      java.util.Collections.sort(rows);
      assertEquals(expected, rows, "ledger rows of " + e.getKey() + " answered " + r.status());
      successes += ok ? 1 : 0;
    }
    long inference200 =
        answered.entrySet().stream()
            .filter(x -> x.getValue().status() == 200)
            .filter(x -> asked.get(x.getKey()).request().method().equals("POST"))
            .count();
    assertEquals(inference200, successes, "one SUCCESS per answered inference request");
    JsonObject drift = json(a.get("/v1/admin/tenants/edge/usage/drift"));
    assertTrue(drift.getBoolean("consistent"), drift.toString());
  }

  private static String notAnEnvelope(RawHttp.Response r) {
    try {
      JsonObject error = json(r.text()).getJsonObject("error");
      if (error == null) {
        return "no error object: " + shorten(r.text());
      }
      if (!(error.get("message") instanceof jakarta.json.JsonString m) || m.getString().isBlank()) {
        return "no message: " + shorten(r.text());
      }
      for (String k : new String[] {"type", "param", "code"}) {
        if (!error.containsKey(k)) {
          return "no " + k + ": " + shorten(r.text());
        }
      }
      return null;
    } catch (RuntimeException e) {
      return "not JSON: '" + shorten(r.text()) + "'";
    }
  }

  private static String shorten(String s) {
    String clean = s.replaceAll("[^ -~]", "?");
    return clean.length() > 160 ? clean.substring(0, 160) + "..." : clean;
  }

  /** Tenants, keys, users, limits, models, versions, tags, aliases and their history. */
  private static Map<String, List<String>> snapshot() throws Exception {
    Map<String, List<String>> out = new TreeMap<>();
    for (String table :
        new String[] {
          "tenant",
          "tenant_entitlement",
          "api_key",
          "tenant_user",
          "model_variant",
          "model_version",
          "model_version_tag",
          "model_alias",
          "model_alias_history"
        }) {
      out.put(
          table,
          rows("SELECT t::text FROM " + table + " t ORDER BY 1", 1).stream()
              .map(r -> r[0])
              .toList());
    }
    return out;
  }

  private static Map<String, String[]> requestLog() throws Exception {
    Map<String, String[]> out = new HashMap<>();
    for (String[] r :
        rows(
            "SELECT request_id::text, api_key_id::text, status::text, error_code"
                + " FROM request_log",
            4)) {
      out.put(r[0], new String[] {r[1], r[2], r[3]});
    }
    return out;
  }

  /** Ledger rows by id: request_id, entry, outcome, api_key_id. */
  private static Map<String, String[]> ledger() throws Exception {
    Map<String, String[]> out = new HashMap<>();
    for (String[] r :
        rows(
            "SELECT id::text, request_id::text, entry, outcome, api_key_id::text"
                + " FROM usage_ledger",
            5)) {
      out.put(r[0], new String[] {r[1], r[2], r[3], r[4]});
    }
    return out;
  }

  private static List<String[]> rows(String sql, int columns) throws IOException, SQLException {
    List<String[]> out = new ArrayList<>();
    try (Connection c = ItDatabase.start().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
          row[i] = rs.getString(i + 1);
        }
        out.add(row);
      }
    }
    return out;
  }
}

package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The attack matrix of issue #17: every endpoint (found from the JAX-RS resources) with every kind
 * of caller, as docs/SECURITY.md's table says, then with every bad credential; another tenant's
 * resources answer 404 without data. Tokens are minted here ({@link ItTokens}); KeycloakIT does the
 * same with the real identity provider's tokens.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class SecurityMatrixIT {

  private static final String MODEL = "llada-tiny-instruct";
  private static final String OWN = "sec-acme";
  private static final String OTHER = "sec-globex";
  private static final String NO_TENANT = "sec-no-such-tenant";

  private static final Map<String, ApiClient> CALLERS = new LinkedHashMap<>();
  private static String revokedKey;

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  @BeforeAll
  static void callers() throws Exception {
    if (!CALLERS.isEmpty()) {
      return;
    }
    createTenant(OWN, null, "INSTRUCT");
    createTenant(OTHER, null, "INSTRUCT");
    CALLERS.put("master", ApiClient.admin());
    CALLERS.put(
        "platform-admin", new ApiClient(ItTokens.token("olivia", List.of("platform-admin"))));
    CALLERS.put(
        "platform viewer", new ApiClient(ItTokens.token("victor", List.of("platform-viewer"))));
    CALLERS.put(
        "tenant-admin",
        new ApiClient(ItTokens.token("alice", List.of("tenant-admin", "tenant-user"), OWN)));
    CALLERS.put("tenant-user", new ApiClient(ItTokens.token("bob", List.of("tenant-user"), OWN)));
    CALLERS.put("tenant viewer", new ApiClient(ItTokens.token("vera", List.of("viewer"), OWN)));
    CALLERS.put("API key", new ApiClient(createKey(OWN, null)));
    revokedKey = createKey(OWN, null);
    String id = revokedKey.substring(0, 12);
    for (var k :
        json(ApiClient.admin().get("/v1/admin/tenants/" + OWN + "/keys")).getJsonArray("data")) {
      var key = k.asJsonObject();
      if (key.getString("prefix").equals(id)) {
        assertEquals(
            200,
            ApiClient.admin()
                .delete("/v1/admin/tenants/" + OWN + "/keys/" + key.getString("id"))
                .statusCode());
      }
    }
  }

  private static String path(String endpoint, String slug) {
    return endpoint
        .substring(endpoint.indexOf(' ') + 1)
        .replace("{slug}", slug)
        .replace("{id}", UUID.randomUUID().toString())
        .replace("{model}", MODEL)
        .replace("{name}", MODEL)
        .replace("{version}", "1")
        .replace("{alias}", "sec-alias")
        .replace("{file_id}", "file-000000000000000000000000")
        .replace("{batch_id}", "batch_000000000000000000000000");
  }

  private static HttpResponse<String> call(ApiClient caller, String endpoint, String slug)
      throws Exception {
    String method = endpoint.substring(0, endpoint.indexOf(' '));
    String path = path(endpoint, slug);
    return switch (method) {
      case "GET" -> caller.get(path);
      case "DELETE" -> caller.delete(path);
      case "POST" -> caller.post(path, "{}");
      case "PUT" -> caller.put(path, "{}");
      case "PATCH" -> caller.patch(path, "{}");
      default -> throw new AssertionError(method);
    };
  }

  private static String code(HttpResponse<String> r) {
    try {
      return json(r).getJsonObject("error").getString("code", null);
    } catch (RuntimeException e) {
      return "(not an OpenAI error body: " + r.body() + ")";
    }
  }

  @Test
  void everyEndpointAnswersEveryCallerAsTheSecurityDocumentSays() throws Exception {
    Map<String, Map<String, String>> table = Endpoints.securityTable();
    List<String> endpoints = Endpoints.all();
    assertEquals(new java.util.TreeSet<>(endpoints), table.keySet(), "docs/SECURITY.md's rows");
    List<String> wrong = new ArrayList<>();
    for (String endpoint : endpoints) {
      for (var caller : CALLERS.entrySet()) {
        String expected = table.get(endpoint).get(caller.getKey());
        boolean platform =
            caller.getKey().startsWith("platform") || caller.getKey().equals("master");
        HttpResponse<String> r = call(caller.getValue(), endpoint, platform ? NO_TENANT : OWN);
        int s = r.statusCode();
        String where = endpoint + " as " + caller.getKey() + ": " + s + " " + code(r);
        switch (expected) {
          case "403" -> {
            if (s != 403) {
              wrong.add(where + " (expected 403)");
            }
          }
          case "yes", "own" -> {
            if (s == 401 || s == 403 || "tenant_not_found".equals(code(r)) && !platform) {
              wrong.add(where + " (expected to get through)");
            }
            if ("own".equals(expected)) {
              HttpResponse<String> other = call(caller.getValue(), endpoint, OTHER);
              if (other.statusCode() != 404
                  || !"tenant_not_found".equals(code(other))
                  || json(other).containsKey("data")) {
                wrong.add(
                    endpoint
                        + " as "
                        + caller.getKey()
                        + " on another tenant: "
                        + other.statusCode()
                        + " "
                        + other.body());
              }
            }
          }
          default ->
              wrong.add(endpoint + ": unknown cell '" + expected + "' for " + caller.getKey());
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void everyEndpointRefusesEveryBadCredentialWith401() throws Exception {
    long now = System.currentTimeMillis();
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put(
        "expired",
        ItTokens.token(
            "eve",
            b -> b.issueTime(new Date(now - 600_000)).expirationTime(new Date(now - 120_000))));
    bad.put("forged", ItTokens.forged("eve", List.of("platform-admin")));
    bad.put("unsigned", ItTokens.unsigned("eve", List.of("platform-admin")));
    bad.put(
        "other issuer", ItTokens.token("eve", b -> b.issuer("https://evil.test/realms/platform")));
    bad.put("other audience", ItTokens.token("eve", b -> b.audience("account")));
    bad.put("malformed", "eyJhbGciOiJSUzI1NiJ9.e30.bm90LWEtc2lnbmF0dXJl");
    bad.put("revoked key", revokedKey);
    bad.put("unknown key", "llk_" + "x".repeat(40));
    List<String> wrong = new ArrayList<>();
    for (String endpoint : Endpoints.all()) {
      HttpResponse<String> none = call(new ApiClient(null), endpoint, OWN);
      if (none.statusCode() != 401) {
        wrong.add(endpoint + " without a credential: " + none.statusCode());
      }
      for (var b : bad.entrySet()) {
        HttpResponse<String> r = call(new ApiClient(b.getValue()), endpoint, OWN);
        if (r.statusCode() != 401 || code(r).startsWith("(")) {
          wrong.add(
              endpoint
                  + " with a "
                  + b.getKey()
                  + " credential: "
                  + r.statusCode()
                  + " "
                  + r.body());
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
  }

  @Test
  void aUserOfTwoTenantsNamesOnePerRequest() throws Exception {
    ApiClient both =
        new ApiClient(ItTokens.token("dana", List.of("tenant-admin", "tenant-user"), OWN, OTHER));
    HttpResponse<String> unnamed = both.get("/v1/admin/tenants/" + OTHER + "/users");
    assertEquals(400, unnamed.statusCode(), unnamed.body());
    assertEquals("X-Tenant", json(unnamed).getJsonObject("error").getString("param"));
    HttpResponse<String> named =
        ApiClient.HTTP.send(
            both.request("/v1/admin/tenants/" + OTHER + "/users")
                .header("X-Tenant", OTHER)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, named.statusCode(), named.body());
    HttpResponse<String> crossed =
        ApiClient.HTTP.send(
            both.request("/v1/admin/tenants/" + OTHER + "/users")
                .header("X-Tenant", OWN)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(404, crossed.statusCode(), crossed.body());
    HttpResponse<String> neither =
        ApiClient.HTTP.send(
            both.request("/v1/models").header("X-Tenant", "sec-initech").GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(403, neither.statusCode(), neither.body());
    assertEquals("tenant_not_allowed", code(neither));
  }

  @Test
  void aSignedInUserRunsModelsBilledToItsTenant() throws Exception {
    ApiClient bob = new ApiClient(ItTokens.token("bob", List.of("tenant-user"), OWN));
    long before =
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = '"
                + OWN
                + "' AND l.entry = 'SETTLE' AND l.api_key_id IS NULL");
    HttpResponse<String> r =
        bob.post(
            "/v1/chat/completions",
            "{\"model\":\""
                + MODEL
                + "\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertEquals(200, r.statusCode(), r.body());
    long after =
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = '"
                + OWN
                + "' AND l.entry = 'SETTLE' AND l.api_key_id IS NULL");
    assertEquals(before + 1, after);
    // a tenant-admin manages its own tenant's keys, and a key it creates works
    ApiClient alice = new ApiClient(ItTokens.token("alice", List.of("tenant-admin"), OWN));
    HttpResponse<String> key =
        alice.post("/v1/admin/tenants/" + OWN + "/keys", "{\"name\":\"alice's\"}");
    assertEquals(201, key.statusCode(), key.body());
    assertEquals(200, new ApiClient(json(key).getString("secret")).get("/v1/models").statusCode());
    assertFalse(
        alice.get("/v1/admin/tenants").statusCode() == 200, "a tenant-admin lists no tenants");
  }

  @Test
  void aSuspendedTenantsUsersAreRefused() throws Exception {
    createTenant("sec-paused", null, "INSTRUCT");
    assertEquals(
        200,
        ApiClient.admin()
            .patch("/v1/admin/tenants/sec-paused", "{\"status\":\"SUSPENDED\"}")
            .statusCode());
    HttpResponse<String> r =
        new ApiClient(ItTokens.token("sam", List.of("tenant-user"), "sec-paused"))
            .get("/v1/models");
    assertEquals(403, r.statusCode(), r.body());
    assertEquals("tenant_suspended", code(r));
    HttpResponse<String> unknown =
        new ApiClient(ItTokens.token("sam", List.of("tenant-user"), "sec-nowhere"))
            .get("/v1/models");
    assertEquals(403, unknown.statusCode());
    assertEquals("tenant_unknown", code(unknown));
  }

  /**
   * Tenant A's own slug with tenant B's real ids: the repository looks the rows up with A's tenant
   * in the query, so B's key and user answer as ones that do not exist and stay as they were.
   */
  @Test
  void anotherTenantsIdsUnderTheOwnSlugAreNotFoundAndUntouched() throws Exception {
    createTenant("sec-ids-a", null, "INSTRUCT");
    createTenant("sec-ids-b", null, "INSTRUCT");
    ApiClient admin = ApiClient.admin();
    HttpResponse<String> key =
        admin.post(
            "/v1/admin/tenants/sec-ids-b/keys", "{\"name\":\"b\",\"scopes\":[\"models:read\"]}");
    assertEquals(201, key.statusCode(), key.body());
    String bSecret = json(key).getString("secret");
    String bKey = json(key).getString("id");
    HttpResponse<String> user =
        admin.post(
            "/v1/admin/tenants/sec-ids-b/users",
            "{\"issuer\":\"https://idp.example\",\"subject\":\"sec-ids-b-user\","
                + "\"email\":\"b@example.com\",\"role\":\"MEMBER\"}");
    assertEquals(201, user.statusCode(), user.body());
    String bUser = json(user).getString("id");
    ApiClient aAdmin =
        new ApiClient(ItTokens.token("ann", List.of("tenant-admin", "tenant-user"), "sec-ids-a"));
    String a = "/v1/admin/tenants/sec-ids-a";
    for (ApiClient caller : List.of(aAdmin, admin)) {
      HttpResponse<String> revoke = caller.delete(a + "/keys/" + bKey);
      assertEquals(404, revoke.statusCode(), revoke.body());
      assertEquals("api_key_not_found", code(revoke));
      HttpResponse<String> rotate = caller.post(a + "/keys/" + bKey + "/rotate", "");
      assertEquals(404, rotate.statusCode(), rotate.body());
      assertEquals("api_key_not_found", code(rotate));
      HttpResponse<String> remove = caller.delete(a + "/users/" + bUser);
      assertEquals(404, remove.statusCode(), remove.body());
      HttpResponse<String> createdBy =
          caller.post(
              a + "/keys",
              "{\"name\":\"x\",\"scopes\":[\"models:read\"],\"created_by\":\"" + bUser + "\"}");
      assertEquals(400, createdBy.statusCode(), createdBy.body());
      assertEquals("created_by", json(createdBy).getJsonObject("error").getString("param"));
    }
    // B's key still works, unexpired, and B's user is still listed
    assertEquals(200, new ApiClient(bSecret).get("/v1/models").statusCode());
    var bKeys = json(admin.get("/v1/admin/tenants/sec-ids-b/keys")).getJsonArray("data");
    assertEquals(1, bKeys.size());
    for (String field : List.of("expires_at", "revoked_at")) {
      var k = bKeys.getJsonObject(0);
      assertTrue(!k.containsKey(field) || k.isNull(field), field + ": " + bKeys);
    }
    assertTrue(
        admin.get("/v1/admin/tenants/sec-ids-b/users").body().contains(bUser), "B's user kept");
    assertFalse(
        admin.get("/v1/admin/tenants/sec-ids-a/keys").body().contains("\"name\":\"x\""),
        "no key was made for A with B's user");
  }

  @Test
  void aRotatedKeyWorksBesideItsSuccessorForTheGracePeriodOnly() throws Exception {
    createTenant("sec-rotate", null, "INSTRUCT");
    ApiClient admin = ApiClient.admin();
    HttpResponse<String> made =
        admin.post(
            "/v1/admin/tenants/sec-rotate/keys",
            "{\"name\":\"ci\",\"scopes\":[\"models:read\"],\"limits\":{\"requests_per_minute\":50}}");
    assertEquals(201, made.statusCode(), made.body());
    String oldSecret = json(made).getString("secret");
    String oldId = json(made).getString("id");
    String rotate = "/v1/admin/tenants/sec-rotate/keys/" + oldId + "/rotate";
    for (String bad :
        List.of(
            "{\"grace_seconds\":-1}", "{\"grace_seconds\":2592001}", "{\"grace_seconds\":\"x\"}")) {
      HttpResponse<String> r = admin.post(rotate, bad);
      assertEquals(400, r.statusCode(), bad + ": " + r.body());
      assertEquals("grace_seconds", json(r).getJsonObject("error").getString("param"));
    }
    HttpResponse<String> rotated = admin.post(rotate, "{\"grace_seconds\":3600}");
    assertEquals(201, rotated.statusCode(), rotated.body());
    var next = json(rotated);
    String newSecret = next.getString("secret");
    assertFalse(newSecret.equals(oldSecret));
    assertEquals("ci", next.getString("name"));
    assertEquals(
        List.of("models:read"),
        next.getJsonArray("scopes").getValuesAs(jakarta.json.JsonString.class).stream()
            .map(jakarta.json.JsonString::getString)
            .toList());
    assertEquals(50, next.getJsonObject("limits").getInt("requests_per_minute"));
    assertEquals(
        200, new ApiClient(oldSecret).get("/v1/models").statusCode(), "the old key, in its grace");
    assertEquals(200, new ApiClient(newSecret).get("/v1/models").statusCode());
    // the successor rotated at once: its predecessor stops now
    String successorId = next.getString("id");
    HttpResponse<String> again =
        admin.post(
            "/v1/admin/tenants/sec-rotate/keys/" + successorId + "/rotate",
            "{\"grace_seconds\":0}");
    assertEquals(201, again.statusCode(), again.body());
    HttpResponse<String> stopped = new ApiClient(newSecret).get("/v1/models");
    assertEquals(401, stopped.statusCode(), stopped.body());
    assertEquals("api_key_expired", code(stopped));
    HttpResponse<String> dead =
        admin.post("/v1/admin/tenants/sec-rotate/keys/" + successorId + "/rotate", "");
    assertEquals(400, dead.statusCode(), "an expired key is not rotated: " + dead.body());
    assertEquals(
        404,
        admin
            .post("/v1/admin/tenants/sec-rotate/keys/" + UUID.randomUUID() + "/rotate", "")
            .statusCode());
  }

  @Test
  void aTenantAdminSetsItsOwnLimitsUpToTheCeilingsThePlatformSet() throws Exception {
    ApiClient master = ApiClient.admin();
    HttpResponse<String> made =
        master.post(
            "/v1/admin/tenants",
            "{\"slug\":\"sec-ceil\",\"limits\":{\"requests_per_minute\":100,\"tokens_per_day\":1000},"
                + "\"limit_ceilings\":{\"requests_per_minute\":300}}");
    assertEquals(201, made.statusCode(), made.body());
    assertEquals(300, json(made).getJsonObject("limit_ceilings").getInt("requests_per_minute"));
    ApiClient admin = new ApiClient(ItTokens.token("cara", List.of("tenant-admin"), "sec-ceil"));
    HttpResponse<String> raised =
        admin.patch(
            "/v1/admin/tenants/sec-ceil",
            "{\"limits\":{\"requests_per_minute\":300,\"tokens_per_day\":500}}");
    assertEquals(200, raised.statusCode(), raised.body());
    assertEquals(300, json(raised).getJsonObject("limits").getInt("requests_per_minute"));
    HttpResponse<String> above =
        admin.patch(
            "/v1/admin/tenants/sec-ceil",
            "{\"limits\":{\"requests_per_minute\":301,\"tokens_per_day\":500}}");
    assertEquals(403, above.statusCode(), above.body());
    assertEquals("limit_above_ceiling", code(above));
    HttpResponse<String> noCeiling =
        admin.patch(
            "/v1/admin/tenants/sec-ceil",
            "{\"limits\":{\"requests_per_minute\":10,\"tokens_per_day\":501}}");
    assertEquals(403, noCeiling.statusCode(), "no ceiling: it may only lower: " + noCeiling.body());
    for (String field :
        List.of(
            "{\"status\":\"SUSPENDED\"}",
            "{\"queue_weight\":5}",
            "{\"limit_ceilings\":{}}",
            "{\"entitlements\":[]}")) {
      HttpResponse<String> r = admin.patch("/v1/admin/tenants/sec-ceil", field);
      assertEquals(403, r.statusCode(), field + ": " + r.body());
      assertEquals("field_not_allowed", code(r));
    }
    HttpResponse<String> badCeiling =
        master.patch("/v1/admin/tenants/sec-ceil", "{\"limit_ceilings\":{\"max_concurrent\":0}}");
    assertEquals(400, badCeiling.statusCode(), badCeiling.body());
    assertEquals(
        "limit_ceilings.max_concurrent",
        json(badCeiling).getJsonObject("error").getString("param"));
    // what was refused changed nothing
    var now = json(master.get("/v1/admin/tenants/sec-ceil"));
    assertEquals("ACTIVE", now.getString("status"));
    assertEquals(300, now.getJsonObject("limits").getInt("requests_per_minute"));
    assertEquals(500, now.getJsonObject("limits").getInt("tokens_per_day"));
  }
}

package dev.llada.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #17's end-to-end check: the real Keycloak (the distribution of bin/keycloak, the realm of
 * keycloak/platform-realm.json) issues password and client-credentials tokens, and the platform,
 * started by its launcher with MicroProfile JWT's settings pointing at Keycloak, answers 200, 401,
 * 403 and 404 exactly as docs/SECURITY.md designs. None of the secrets reaches the logs.
 */
class KeycloakIT {

  private static final int PORT = Integer.getInteger("it.http.port", 18091);
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final Path ZOO = Path.of("..", "models").toAbsolutePath().normalize();
  private static final String MASTER = "two-platforms-master-key-42";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path temp;

  private static HttpResponse<String> call(
      String method, String path, String token, String tenant, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + path))
            .timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (tenant != null) {
      b.header("X-Tenant", tenant);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    return call("GET", path, token, null, null);
  }

  private static String code(HttpResponse<String> r) {
    return TwoPlatformsIT.json(r.body()).getJsonObject("error").getString("code");
  }

  @Test
  void keycloakTokensGetExactlyTheAccessTheRolesDesign() throws Exception {
    ItKeycloak.start();
    EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false);
    PlatformLauncherIT.Launched platform = null;
    List<String> secrets = new ArrayList<>(ItKeycloak.SECRETS.values());
    secrets.add(db.settings().password()); // the embedded database's application role
    try {
      platform =
          TwoPlatformsIT.platform(
              temp,
              "kc",
              PORT,
              ZOO,
              db.databaseUrl(),
              Map.of(
                  "MP_JWT_VERIFY_ISSUER",
                  ItKeycloak.ISSUER,
                  "MP_JWT_VERIFY_PUBLICKEY_LOCATION",
                  ItKeycloak.ISSUER + "/protocol/openid-connect/certs",
                  "MP_JWT_VERIFY_AUDIENCES",
                  "platform-api"));
      platform.awaitLine("is ready in", Duration.ofSeconds(240));
      for (String slug : List.of("acme", "globex")) {
        HttpResponse<String> t =
            call(
                "POST",
                "/v1/admin/tenants",
                MASTER,
                null,
                "{\"slug\":\"" + slug + "\",\"entitlements\":[\"INSTRUCT\"]}");
        assertEquals(201, t.statusCode(), t.body());
      }

      String olivia = ItKeycloak.passwordToken("olivia");
      String victor = ItKeycloak.passwordToken("victor");
      String alice = ItKeycloak.passwordToken("alice");
      String bob = ItKeycloak.passwordToken("bob");
      String carol = ItKeycloak.passwordToken("carol");
      String dana = ItKeycloak.passwordToken("dana");
      String jobs = ItKeycloak.jobsToken();
      secrets.addAll(List.of(olivia, victor, alice, bob, carol, dana, jobs));

      // the platform's operators: an admin JWT is a second way into /v1/admin
      assertEquals(200, get("/v1/admin/tenants", olivia).statusCode());
      assertEquals(200, get("/v1/admin/tenants", jobs).statusCode()); // client credentials
      assertEquals(200, get("/v1/admin/tenants", victor).statusCode()); // viewer reads
      HttpResponse<String> viewerWrites =
          call("POST", "/v1/admin/tenants", victor, null, "{\"slug\":\"initech\"}");
      assertEquals(403, viewerWrites.statusCode(), viewerWrites.body());

      // a tenant-admin manages its own tenant only
      HttpResponse<String> key =
          call("POST", "/v1/admin/tenants/acme/keys", alice, null, "{\"name\":\"alice's\"}");
      assertEquals(201, key.statusCode(), key.body());
      String secret = TwoPlatformsIT.json(key.body()).getString("secret");
      secrets.add(secret);
      assertEquals(200, get("/v1/admin/tenants/acme/keys", alice).statusCode());
      HttpResponse<String> otherTenant = get("/v1/admin/tenants/globex/keys", alice);
      assertEquals(404, otherTenant.statusCode(), otherTenant.body());
      assertEquals("tenant_not_found", code(otherTenant));
      assertEquals(403, get("/v1/admin/tenants", alice).statusCode());
      // a tenant-user reads no administration resource, its own tenant or another
      assertEquals(403, get("/v1/admin/tenants/acme", carol).statusCode());

      // a tenant-user calls models, billed to its tenant, and administers nothing
      HttpResponse<String> chat =
          call(
              "POST",
              "/v1/chat/completions",
              bob,
              null,
              "{\"model\":\"llada-tiny-instruct\",\"max_tokens\":8,"
                  + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
      assertEquals(200, chat.statusCode(), chat.body());
      assertEquals(
          1,
          TwoPlatformsIT.queryLong(
              db,
              "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                  + " WHERE t.slug = 'acme' AND l.entry = 'SETTLE' AND l.outcome = 'SUCCESS'"));
      assertEquals(
          403,
          call("POST", "/v1/admin/tenants/acme/keys", bob, null, "{\"name\":\"b\"}").statusCode());
      assertEquals(200, get("/v1/models", secret).statusCode()); // the key alice made works

      // a user of two tenants names one per request
      HttpResponse<String> unnamed = get("/v1/usage", dana);
      assertEquals(400, unnamed.statusCode(), unnamed.body());
      assertEquals(200, call("GET", "/v1/usage", dana, "globex", null).statusCode());
      assertEquals(403, call("GET", "/v1/usage", dana, "initech", null).statusCode());

      // bad tokens: none, tampered, of the master realm
      assertEquals(401, get("/v1/models", null).statusCode());
      String tampered =
          alice.substring(0, alice.lastIndexOf('.') + 1)
              + "AAAA"
              + alice.substring(alice.lastIndexOf('.') + 5);
      assertEquals(401, get("/v1/models", tampered).statusCode());
      HttpResponse<String> wrongPassword =
          ItKeycloak.tokenResponse(
              Map.of(
                  "grant_type", "password",
                  "client_id", "platform-api",
                  "client_secret", ItKeycloak.SECRETS.get("SECRET_PLATFORM_API"),
                  "username", "alice",
                  "password", "not-her-password"));
      assertEquals(
          4, wrongPassword.statusCode() / 100, wrongPassword.body()); // Keycloak refuses it
    } finally {
      if (platform != null) {
        platform.kill();
      }
      db.close();
    }
    // no password, client secret, token or API key in the platform's output or its logs
    StringBuilder logs = new StringBuilder(platform.output());
    try (Stream<Path> files = Files.walk(temp.resolve("var-kc"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".log")).toList()) {
        logs.append(Files.readString(f));
      }
    }
    assertTrue(logs.length() > 1_000, "the logs were read");
    for (String s : secrets) {
      assertFalse(
          logs.toString().contains(s), "a secret reached the logs: " + s.substring(0, 8) + "...");
    }
  }
}

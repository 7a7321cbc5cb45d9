package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code Idempotency-Key} as issue #17 item 5 fixes it: only final answers are kept (a 429 or a 409
 * is not replayed after the cause is gone), a claim of a request that died expires instead of
 * answering 409 for a day, and the administration API's POSTs are covered too.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class IdempotencyIT {

  private static final String MODEL = "llada-tiny-instruct";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static HttpResponse<String> post(ApiClient caller, String path, String key, String body)
      throws Exception {
    return ApiClient.HTTP.send(
        caller
            .request(path)
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String chat(String text) {
    return "{\"model\":\""
        + MODEL
        + "\",\"steps\":4,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\""
        + text
        + "\"}]}";
  }

  @Test
  void aRateLimitedAnswerIsNotKeptSoTheRetryRunsOnceTheLimitIsRaised() throws Exception {
    createTenant("idem-limited", "{\"requests_per_minute\":1}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("idem-limited", null));
    assertEquals(200, post(tenant, "/v1/chat/completions", "first", chat("a")).statusCode());
    HttpResponse<String> limited = post(tenant, "/v1/chat/completions", "second", chat("b"));
    assertEquals(429, limited.statusCode(), limited.body());
    assertFalse(limited.headers().firstValue("Retry-After").isEmpty());
    assertEquals(
        200,
        ApiClient.admin()
            .patch("/v1/admin/tenants/idem-limited", "{\"limits\":{\"requests_per_minute\":100}}")
            .statusCode());
    HttpResponse<String> retry = post(tenant, "/v1/chat/completions", "second", chat("b"));
    assertEquals(200, retry.statusCode(), retry.body());
    assertEquals("", retry.headers().firstValue("Idempotent-Replayed").orElse(""));
    HttpResponse<String> replay = post(tenant, "/v1/chat/completions", "second", chat("b"));
    assertEquals("true", replay.headers().firstValue("Idempotent-Replayed").orElse(""));
    assertEquals(json(retry), json(replay));
  }

  @Test
  void theClaimOfARequestThatDiedExpiresAndALiveOneStillAnswers409() throws Exception {
    createTenant("idem-died", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("idem-died", null));
    assertEquals(200, post(tenant, "/v1/chat/completions", "probe", chat("c")).statusCode());
    String hash =
        ItDatabase.queryString("SELECT request_hash FROM idempotent_response WHERE key = 'probe'");
    // what a process killed mid-request leaves: a claim, no answer; one past its hold, one not
    ItDatabase.execute(
        "INSERT INTO idempotent_response (owner, tenant_id, key, request_hash, status, body,"
            + " claimed_until) SELECT 'tenant:' || id, id, k, '"
            + hash
            + "', 0, '', now() + d"
            + " FROM tenant, (VALUES ('died', interval '-1 minute'), ('running', interval '1 hour'))"
            + " AS x(k, d) WHERE slug = 'idem-died'");
    HttpResponse<String> retried = post(tenant, "/v1/chat/completions", "died", chat("c"));
    assertEquals(200, retried.statusCode(), retried.body());
    HttpResponse<String> busy = post(tenant, "/v1/chat/completions", "running", chat("c"));
    assertEquals(409, busy.statusCode(), busy.body());
    assertEquals("idempotency_key_in_use", json(busy).getJsonObject("error").getString("code"));
  }

  @Test
  void administrationPostsAreIdempotentAndConflictsAreNotKept() throws Exception {
    ApiClient admin = ApiClient.admin();
    String body = "{\"slug\":\"idem-admin\",\"entitlements\":[\"INSTRUCT\"]}";
    HttpResponse<String> created = post(admin, "/v1/admin/tenants", "create-idem-admin", body);
    assertEquals(201, created.statusCode(), created.body());
    HttpResponse<String> replayed = post(admin, "/v1/admin/tenants", "create-idem-admin", body);
    assertEquals(
        201, replayed.statusCode(), "the retry gets the creation, not a 409: " + replayed.body());
    assertEquals("true", replayed.headers().firstValue("Idempotent-Replayed").orElse(""));
    assertEquals(json(created), json(replayed));
    // a conflict (the slug taken, under a new key) is not final: nothing is kept for it
    HttpResponse<String> taken = post(admin, "/v1/admin/tenants", "create-again", body);
    assertEquals(409, taken.statusCode(), taken.body());
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM idempotent_response WHERE key = 'create-again'"));
    // a platform caller's keys are its own, apart from every tenant's
    for (String owner : List.of("platform:master")) {
      assertEquals(
          1,
          ItDatabase.queryLong(
              "SELECT count(*) FROM idempotent_response WHERE owner = '"
                  + owner
                  + "' AND key = 'create-idem-admin'"));
    }
  }
}

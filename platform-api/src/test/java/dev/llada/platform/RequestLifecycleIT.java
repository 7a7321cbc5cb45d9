package dev.llada.platform;

import static dev.llada.platform.ApiClient.admin;
import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue #16 on the packaged WAR (real Payara Micro and PostgreSQL): a request's life from
 * reservation to settlement — cancelled through {@code POST /v1/requests/{id}/cancel} (by the
 * client's id or the platform's), or left open by a JVM that died (its lease expires and the
 * sweeper settles it as EXPIRED with the usage last known, so a tenant with {@code max_concurrent:
 * 1} can call again).
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class RequestLifecycleIT {

  private static final String MODEL = "llada-tiny-instruct";

  /** 4,000 reference steps over 100 tokens: seconds of work, to stop in the middle. */
  private static final String SLOW =
      "{\"model\":\""
          + MODEL
          + "\",\"prompt\":\"sort 1:\",\"gen_length\":100,\"steps\":4000,\"sampler\":\"reference\"";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static String ledger(String slug) {
    return " FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id WHERE t.slug = '" + slug + "'";
  }

  /** Waits up to 20 s for {@code slug}'s first SETTLE entry; returns its outcome. */
  private static String settled(String slug) throws Exception {
    String count = "SELECT count(*)" + ledger(slug) + " AND l.entry = 'SETTLE'";
    for (int i = 0; i < 200 && ItDatabase.queryLong(count) == 0; i++) {
      Thread.sleep(100);
    }
    assertEquals(1, ItDatabase.queryLong(count), "settled once");
    return ItDatabase.queryString("SELECT outcome" + ledger(slug) + " AND l.entry = 'SETTLE'");
  }

  private static long units(String slug, String entry) throws IOException, SQLException {
    return ItDatabase.queryLong(
        "SELECT compute_units" + ledger(slug) + " AND l.entry = '" + entry + "'");
  }

  private static void consistent(String slug) throws Exception {
    HttpResponse<String> drift = admin().get("/v1/admin/tenants/" + slug + "/usage/drift");
    assertEquals(200, drift.statusCode(), drift.body());
    assertTrue(json(drift).getBoolean("consistent"), drift.body());
  }

  /** Cancels {@code id} as {@code client}, retrying 404 until the request has been admitted. */
  private static HttpResponse<String> cancelWhenLive(ApiClient client, String id) throws Exception {
    HttpResponse<String> r = null;
    for (int i = 0; i < 200; i++) {
      r = client.post("/v1/requests/" + id + "/cancel", "");
      if (r.statusCode() != 404) {
        return r;
      }
      Thread.sleep(50);
    }
    return r;
  }

  @Test
  void aRequestCancelledByItsClientIdStopsAtTheNextStepAndPaysForWhatRan() throws Exception {
    createTenant("cancel-a", null, "INSTRUCT");
    createTenant("cancel-b", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("cancel-a", null));
    ApiClient b = new ApiClient(createKey("cancel-b", null));
    CompletableFuture<HttpResponse<String>> call =
        ApiClient.HTTP.sendAsync(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .header("X-Client-Request-Id", "nightly-job-7")
                .POST(HttpRequest.BodyPublishers.ofString(SLOW + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    // another tenant's key finds nothing under that id, and stops nothing
    Thread.sleep(500);
    HttpResponse<String> foreign = b.post("/v1/requests/nightly-job-7/cancel", "");
    assertEquals(404, foreign.statusCode(), foreign.body());
    assertEquals("request_not_found", json(foreign).getJsonObject("error").getString("code"));
    HttpResponse<String> cancel = cancelWhenLive(a, "nightly-job-7");
    assertEquals(200, cancel.statusCode(), cancel.body());
    JsonObject c = json(cancel);
    assertEquals("cancelling", c.getString("status"));
    assertEquals(1, c.getJsonArray("request_ids").size());
    HttpResponse<String> answer = call.get(60, TimeUnit.SECONDS);
    assertEquals(409, answer.statusCode(), answer.body());
    assertEquals("request_cancelled", json(answer).getJsonObject("error").getString("code"));
    assertEquals("nightly-job-7", answer.headers().firstValue("x-client-request-id").orElse(""));
    assertEquals(
        c.getJsonArray("request_ids").getString(0),
        answer.headers().firstValue("x-request-id").orElse(""));
    assertEquals("CANCELLED", settled("cancel-a"));
    assertTrue(units("cancel-a", "SETTLE") < units("cancel-a", "RESERVE"), "stopped early");
    consistent("cancel-a");
    // once it has ended there is nothing left to cancel
    assertEquals(404, a.post("/v1/requests/nightly-job-7/cancel", "").statusCode());
  }

  @Test
  void aStreamCancelledByThePlatformsIdEndsWithTheErrorAndDone() throws Exception {
    createTenant("cancel-stream", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("cancel-stream", null));
    HttpResponse<Stream<String>> stream =
        ApiClient.HTTP.send(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(SLOW + ",\"stream\":true}"))
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    assertEquals(200, stream.statusCode());
    String id = stream.headers().firstValue("x-request-id").orElseThrow();
    HttpResponse<String> cancel = a.post("/v1/requests/" + id + "/cancel", "");
    assertEquals(200, cancel.statusCode(), cancel.body());
    List<String> data;
    try (Stream<String> lines = stream.body()) {
      data = lines.filter(l -> l.startsWith("data:")).toList();
    }
    assertTrue(
        data.stream().anyMatch(l -> l.contains("\"request_cancelled\"")), String.join("\n", data));
    assertEquals("data: [DONE]", data.get(data.size() - 1));
    assertEquals("CANCELLED", settled("cancel-stream"));
    consistent("cancel-stream");
  }

  @Test
  void badOrUnknownRequestIdsAreRefusedClearly() throws Exception {
    createTenant("cancel-bad", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("cancel-bad", null));
    HttpResponse<String> unknown = a.post("/v1/requests/no-such-request/cancel", "");
    assertEquals(404, unknown.statusCode(), unknown.body());
    assertEquals("request_not_found", json(unknown).getJsonObject("error").getString("code"));
    HttpResponse<String> spaced =
        ApiClient.HTTP.send(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .header("X-Client-Request-Id", "two words")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, spaced.statusCode(), spaced.body());
    assertEquals("invalid_request_id", json(spaced).getJsonObject("error").getString("code"));
    assertEquals(0, ItDatabase.queryLong("SELECT count(*)" + ledger("cancel-bad")), "no usage");
  }

  /**
   * What a JVM killed mid-request leaves behind: a RESERVE entry, its lease (with the progress it
   * last recorded) and the counters (rebuilt from the ledger by reconcile, so the open reservation
   * counts as in flight). The tenant is at its concurrency limit until the lease ends; then the
   * sweeper settles it as EXPIRED with the recorded usage and the tenant calls again.
   */
  @Test
  void aReservationLeftOpenByADeadJvmExpiresAndTheTenantCallsAgain() throws Exception {
    createTenant("crashed", "{\"max_concurrent\":1}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("crashed", null));
    String t = json(admin().get("/v1/admin/tenants/crashed")).getString("id");
    String request = "00000000-0000-4000-8000-00000000c0de";
    ItDatabase.execute(
        "INSERT INTO usage_ledger (request_id, entry, tenant_id, model, endpoint, prompt_tokens,"
            + " completion_tokens, compute_units) VALUES ('"
            + request
            + "', 'RESERVE', '"
            + t
            + "', '"
            + MODEL
            + "', '/v1/completions', 3, 16, 1000)",
        "INSERT INTO reservation_lease (request_id, tenant_id, holder, expires_at,"
            + " completion_tokens, compute_units, progress_at) VALUES ('"
            + request
            + "', '"
            + t
            + "', 'a-killed-jvm', now() + interval '1 hour', 4, 250, now())");
    assertEquals(200, admin().post("/v1/admin/tenants/crashed/usage/reconcile", "").statusCode());
    String chat =
        "{\"model\":\"" + MODEL + "\",\"prompt\":\"sort 21:\",\"max_tokens\":8,\"steps\":8}";
    HttpResponse<String> locked = tenant.post("/v1/completions", chat);
    assertEquals(429, locked.statusCode(), locked.body());
    // the lease ends: within a sweep (2 s in the ITs) the reservation is settled
    ItDatabase.execute(
        "UPDATE reservation_lease SET expires_at = now() - interval '1 second' WHERE request_id"
            + " = '"
            + request
            + "'");
    assertEquals("EXPIRED", settled("crashed"));
    assertEquals(250, units("crashed", "SETTLE"), "the usage the lease recorded");
    assertEquals(
        4,
        ItDatabase.queryLong(
            "SELECT completion_tokens" + ledger("crashed") + " AND l.entry = 'SETTLE'"));
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM reservation_lease WHERE request_id = '" + request + "'"));
    consistent("crashed");
    HttpResponse<String> again = tenant.post("/v1/completions", chat);
    assertEquals(200, again.statusCode(), again.body());
    HttpResponse<String> reconcile = admin().post("/v1/admin/tenants/crashed/usage/reconcile", "");
    assertEquals(List.of(), json(reconcile).getJsonArray("repaired"), "nothing to repair");
  }
}

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

  /** A slow non-streaming completion of {@code client}'s, sent under the client id {@code id}. */
  private static CompletableFuture<HttpResponse<String>> slowCall(ApiClient client, String id) {
    return ApiClient.HTTP.sendAsync(
        client
            .request("/v1/completions")
            .header("Content-Type", "application/json")
            .header("X-Client-Request-Id", id)
            .POST(HttpRequest.BodyPublishers.ofString(SLOW + "}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
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
    CompletableFuture<HttpResponse<String>> call = slowCall(a, "nightly-job-7");
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

  /** The master key may cancel any tenant's request (an operator stopping runaway work). */
  @Test
  void theMasterKeyCancelsAnyTenantsRequest() throws Exception {
    createTenant("cancel-admin", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("cancel-admin", null));
    CompletableFuture<HttpResponse<String>> call = slowCall(a, "runaway-1");
    HttpResponse<String> cancel = cancelWhenLive(ApiClient.admin(), "runaway-1");
    assertEquals(200, cancel.statusCode(), cancel.body());
    HttpResponse<String> answer = call.get(60, TimeUnit.SECONDS);
    assertEquals(409, answer.statusCode(), answer.body());
    assertEquals("request_cancelled", json(answer).getJsonObject("error").getString("code"));
    assertEquals("CANCELLED", settled("cancel-admin"));
    consistent("cancel-admin");
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

  /**
   * Deadlines (issue #16, item 2), with {@code X-Request-Timeout}: a running request stops at its
   * next step once its deadline passes (503 timeout, settled with the steps that ran); a request
   * still waiting at its deadline (its tenant has 8 running, the most one tenant may) is dropped
   * without running (settled at 0). A deadline past the platform's request timeout is a 400.
   */
  @Test
  void deadlinesStopRunningRequestsAndDropQueuedOnes() throws Exception {
    createTenant("deadline", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("deadline", null));
    // running: stopped within a step of its 1 s deadline
    long t0 = System.nanoTime();
    HttpResponse<String> running =
        ApiClient.HTTP.send(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .header("X-Request-Timeout", "1")
                .POST(HttpRequest.BodyPublishers.ofString(SLOW + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertEquals(503, running.statusCode(), running.body());
    assertEquals("timeout", json(running).getJsonObject("error").getString("code"));
    assertTrue(seconds < 5, seconds + " s");
    assertEquals("CANCELLED", settled("deadline"));
    long ran = units("deadline", "SETTLE");
    assertTrue(ran > 0 && ran < units("deadline", "RESERVE"), ran + " units ran");
    // queued: eight slow requests of the tenant run; a ninth waits and is dropped at its deadline
    List<CompletableFuture<HttpResponse<String>>> slow = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      slow.add(slowCall(a, "slow-" + i));
    }
    String open =
        "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
            + " WHERE t.slug = 'deadline'";
    for (int i = 0; i < 200 && ItDatabase.queryLong(open) < 8; i++) {
      Thread.sleep(50);
    }
    Thread.sleep(500); // all eight are in the batch
    HttpResponse<String> queued =
        ApiClient.HTTP.send(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .header("X-Request-Timeout", "1.5")
                .header("X-Client-Request-Id", "queued")
                .POST(HttpRequest.BodyPublishers.ofString(SLOW + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(503, queued.statusCode(), queued.body());
    assertTrue(
        json(queued).getJsonObject("error").getString("message").contains("before it ran"),
        queued.body());
    for (int i = 0; i < 8; i++) {
      assertEquals(200, a.post("/v1/requests/slow-" + i + "/cancel", "").statusCode());
    }
    for (var f : slow) {
      assertEquals(409, f.get(60, TimeUnit.SECONDS).statusCode());
    }
    String id = queued.headers().firstValue("x-request-id").orElseThrow();
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT compute_units FROM usage_ledger WHERE entry = 'SETTLE' AND request_id = '"
                + id
                + "'"),
        "the queued request never ran");
    HttpResponse<String> tooLong =
        ApiClient.HTTP.send(
            a.request("/v1/completions")
                .header("Content-Type", "application/json")
                .header("X-Request-Timeout", "100000")
                .POST(HttpRequest.BodyPublishers.ofString(SLOW + "}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(400, tooLong.statusCode(), tooLong.body());
    assertEquals("invalid_request_timeout", json(tooLong).getJsonObject("error").getString("code"));
    consistent("deadline");
  }

  /**
   * Queue caps (issue #16, item 2): a tenant with 8 running and 64 waiting is refused at once with
   * 429 tenant_queue_full and Retry-After, costing nothing; the others are cancelled by their ids.
   */
  @Test
  void aTenantOverItsQueueIsRefusedAtOnceWithRetryAfter() throws Exception {
    createTenant("queue-cap", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("queue-cap", null));
    List<CompletableFuture<HttpResponse<String>>> sent = new java.util.ArrayList<>();
    for (int i = 0; i < 72; i++) {
      sent.add(slowCall(a, "cap-" + i));
    }
    String open =
        "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
            + " WHERE t.slug = 'queue-cap'";
    for (int i = 0; i < 400 && ItDatabase.queryLong(open) < 72; i++) {
      Thread.sleep(50);
    }
    assertEquals(72, ItDatabase.queryLong(open), "8 running and 64 waiting");
    Thread.sleep(300);
    long t0 = System.nanoTime();
    HttpResponse<String> refused = a.post("/v1/completions", SLOW + "}");
    double ms = (System.nanoTime() - t0) / 1e6;
    assertEquals(429, refused.statusCode(), refused.body());
    assertEquals("tenant_queue_full", json(refused).getJsonObject("error").getString("code"));
    assertEquals("1", refused.headers().firstValue("retry-after").orElse(""));
    assertTrue(ms < 2_000, ms + " ms");
    for (int i = 0; i < 72; i++) {
      a.post("/v1/requests/cap-" + i + "/cancel", "");
    }
    for (var f : sent) {
      assertEquals(409, f.get(60, TimeUnit.SECONDS).statusCode());
    }
    assertEquals(
        72,
        ItDatabase.queryLong("SELECT count(*)" + ledger("queue-cap") + " AND l.entry = 'SETTLE'"),
        "every admitted one settled; the refused one reserved nothing");
    consistent("queue-cap");
  }

  /**
   * Streams hold no executor thread while they run (a blocked one per stream once starved every
   * settlement): twelve at once all end with [DONE] and settle.
   */
  @Test
  void manyStreamsAtOnceAllFinish() throws Exception {
    createTenant("streams", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("streams", null));
    List<CompletableFuture<HttpResponse<String>>> streams = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      streams.add(
          ApiClient.HTTP.sendAsync(
              a.request("/v1/completions")
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"model\":\""
                              + MODEL
                              + "\",\"prompt\":\"sort "
                              + (31 + i)
                              + ":\",\"max_tokens\":16,\"steps\":16,\"stream\":true}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (var f : streams) {
      HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains("data: [DONE]"), r.body());
    }
    String count = "SELECT count(*)" + ledger("streams") + " AND l.entry = 'SETTLE'";
    for (int i = 0; i < 100 && ItDatabase.queryLong(count) < 12; i++) {
      Thread.sleep(100);
    }
    assertEquals(12, ItDatabase.queryLong(count));
    consistent("streams");
  }
}

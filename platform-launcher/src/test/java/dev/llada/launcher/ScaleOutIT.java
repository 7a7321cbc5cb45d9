package dev.llada.launcher;

import static dev.llada.launcher.TwoPlatformsIT.json;
import static dev.llada.launcher.TwoPlatformsIT.post;
import static dev.llada.launcher.TwoPlatformsIT.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #21 with real platform JVMs on one PostgreSQL: a batch of 100 requests survives its
 * platform being killed midway (SIGKILL) and ends exactly once each — one answer and one charge per
 * request, the killed attempts charged nothing, no reservation left open, the books balanced; two
 * replicas admit exactly N of 2N parallel requests against a {@code requests_per_minute} of N.
 */
class ScaleOutIT {

  private static final int PORT_A = Integer.getInteger("it.http.port", 18091);
  private static final int PORT_B = PORT_A + 1;
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final String MODEL = "llada-tiny-instruct";
  private static final String MASTER = "two-platforms-master-key-42";
  private static final Path ZOO =
      Path.of("..", "models", MODEL).toAbsolutePath().normalize().getParent();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Short leases, so that a dead JVM's work returns within seconds. */
  private static final Map<String, String> FAST =
      Map.of(
          "LLADA_BATCHES_LEASE_SECONDS", "4",
          "LLADA_BATCHES_POLL_MILLIS", "200",
          "LLADA_REQUEST_TIMEOUT_SECONDS", "10",
          "LLADA_RESERVATIONS_LEASE_SECONDS", "15",
          "LLADA_RETENTION_SWEEP_SECONDS", "2");

  @TempDir Path temp;

  @Test
  void aBatchOfAHundredSurvivesItsPlatformKilledMidwayAndEndsExactlyOnceEach() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      PlatformLauncherIT.Launched a = TwoPlatformsIT.platform(temp, "a", PORT_A, ZOO, url, FAST);
      PlatformLauncherIT.Launched b = null;
      try {
        a.awaitLine("is ready in", Duration.ofSeconds(240));
        String key = tenant(PORT_A, "bulk", null);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 100; i++) {
          lines.append(
              "{\"custom_id\":\"r"
                  + i
                  + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\""
                  + MODEL
                  + "\",\"messages\":[{\"role\":\"user\",\"content\":\"sort "
                  + (100 + i)
                  + ":\"}],\"max_tokens\":8,\"steps\":8,\"seed\":"
                  + i
                  + "}}\n");
        }
        String file = upload(PORT_A, key, lines.toString());
        HttpResponse<String> created =
            post(
                PORT_A,
                "/v1/batches",
                key,
                "{\"input_file_id\":\""
                    + file
                    + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertEquals(200, created.statusCode(), created.body());
        String id = json(created.body()).getString("id");

        // A dies (SIGKILL) with a quarter answered and requests running
        long until = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (queryLong(db, "SELECT count(*) FROM batch_item WHERE state = 'succeeded'") < 25
            || queryLong(db, "SELECT count(*) FROM batch_item WHERE state = 'running'") == 0) {
          assertTrue(System.nanoTime() < until, "a quarter of the batch ran on A");
          Thread.sleep(20);
        }
        a.kill();
        assertTrue(a.process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "A is gone");
        long answeredByA =
            queryLong(db, "SELECT count(*) FROM batch_item WHERE state = 'succeeded'");
        long runningAtKill =
            queryLong(db, "SELECT count(*) FROM batch_item WHERE state = 'running'");
        assertTrue(answeredByA >= 25 && answeredByA < 100, answeredByA + " answered by A");
        assertTrue(runningAtKill >= 1, "A died running requests: " + runningAtKill);

        // the platform comes back (another JVM on the same database) and finishes the batch
        b = TwoPlatformsIT.platform(temp, "b", PORT_B, ZOO, url, FAST);
        b.awaitLine("is ready in", Duration.ofSeconds(240));
        JsonObject done = null;
        until = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (done == null) {
          JsonObject batch = json(get(PORT_B, "/v1/batches/" + id, key).body());
          if (!Set.of("in_progress", "finalizing").contains(batch.getString("status"))) {
            done = batch;
          } else {
            assertTrue(System.nanoTime() < until, "the batch ended: " + batch);
            Thread.sleep(250);
          }
        }
        assertEquals("completed", done.getString("status"), done.toString());
        assertEquals(100, done.getJsonObject("request_counts").getInt("completed"));
        assertEquals(0, done.getJsonObject("request_counts").getInt("failed"));
        assertTrue(done.isNull("error_file_id"), done.toString());

        // one answer per request in the output file, each under the attempt that was charged
        String output =
            get(PORT_B, "/v1/files/" + done.getString("output_file_id") + "/content", key).body();
        Set<String> customIds = new HashSet<>();
        List<String> requestIds = new ArrayList<>();
        for (String l : output.split("\n")) {
          JsonObject o = json(l);
          assertTrue(customIds.add(o.getString("custom_id")), "once: " + o.getString("custom_id"));
          assertEquals(200, o.getJsonObject("response").getInt("status_code"));
          requestIds.add(o.getJsonObject("response").getString("request_id"));
        }
        assertEquals(100, customIds.size());
        // some request ran again on B after A died running it
        assertTrue(
            queryLong(db, "SELECT count(*) FROM batch_item WHERE attempts > 1") >= runningAtKill,
            "the requests A was running ran again");

        // A's unfinished attempts: their reservations expire, settled with nothing charged
        until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (queryLong(db, "SELECT count(*) FROM reservation_lease") > 0) {
          assertTrue(System.nanoTime() < until, "every reservation settled");
          Thread.sleep(500);
        }
        String tenant = "(SELECT id FROM tenant WHERE slug = 'bulk')";
        assertEquals(
            100,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                    + " AND tenant_id = "
                    + tenant));
        assertEquals(
            100,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                    + " AND request_id IN ('"
                    + String.join("','", requestIds)
                    + "')"),
            "the charged attempt of each request is the one whose answer the output holds");
        assertEquals(
            0,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome <> 'SUCCESS'"
                    + " AND (compute_units > 0 OR completion_tokens > 0) AND tenant_id = "
                    + tenant),
            "an attempt that was not the answer cost nothing");
        assertEquals(
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'RESERVE' AND tenant_id = "
                    + tenant),
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND tenant_id = "
                    + tenant),
            "every attempt settled");
        HttpResponse<String> drift = get(PORT_B, "/v1/admin/tenants/bulk/usage/drift", MASTER);
        assertTrue(json(drift.body()).getBoolean("consistent"), drift.body());
      } finally {
        a.kill();
        if (b != null) {
          b.kill();
        }
      }
    }
  }

  @Test
  void twoReplicasAdmitExactlyNOfTwoNParallelRequestsAgainstARequestsPerMinuteOfN()
      throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      PlatformLauncherIT.Launched a = TwoPlatformsIT.platform(temp, "a", PORT_A, ZOO, url, FAST);
      PlatformLauncherIT.Launched b = TwoPlatformsIT.platform(temp, "b", PORT_B, ZOO, url, FAST);
      try {
        a.awaitLine("is ready in", Duration.ofSeconds(300));
        b.awaitLine("is ready in", Duration.ofSeconds(300));
        int n = 6;
        String key = tenant(PORT_A, "pair", "{\"requests_per_minute\":" + n + "}");
        while (LocalTime.now(ZoneOffset.UTC).getSecond() > 45) { // one minute window for all
          Thread.sleep(500);
        }
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 2 * n; i++) {
          int port = i % 2 == 0 ? PORT_A : PORT_B;
          calls.add(
              HTTP.sendAsync(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                      .header("Authorization", "Bearer " + key)
                      .header("Content-Type", "application/json")
                      .timeout(Duration.ofSeconds(60))
                      .POST(
                          HttpRequest.BodyPublishers.ofString(
                              "{\"model\":\""
                                  + MODEL
                                  + "\",\"prompt\":\"sort 21:\",\"max_tokens\":4,\"steps\":4}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        int ok = 0;
        int limited = 0;
        for (int i = 0; i < calls.size(); i++) {
          HttpResponse<String> r = calls.get(i).join();
          if (r.statusCode() == 200) {
            ok++;
          } else {
            assertEquals(429, r.statusCode(), r.body());
            assertEquals(
                "rate_limit_exceeded", json(r.body()).getJsonObject("error").getString("code"));
            limited++;
          }
        }
        assertEquals(n, ok, "exactly N admitted across both replicas");
        assertEquals(n, limited);
        assertEquals(
            n,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                    + " AND tenant_id = (SELECT id FROM tenant WHERE slug = 'pair')"));
      } finally {
        a.kill();
        b.kill();
      }
    }
  }

  /** Creates a tenant through the master key; its new key's secret. */
  private static String tenant(int port, String slug, String limits) throws Exception {
    HttpResponse<String> t =
        post(
            port,
            "/v1/admin/tenants",
            MASTER,
            "{\"slug\":\""
                + slug
                + "\",\"display_name\":\"T\",\"entitlements\":[\"INSTRUCT\"]"
                + (limits == null ? "" : ",\"limits\":" + limits)
                + "}");
    assertEquals(201, t.statusCode(), t.body());
    HttpResponse<String> k =
        post(port, "/v1/admin/tenants/" + slug + "/keys", MASTER, "{\"name\":\"k\"}");
    assertEquals(201, k.statusCode(), k.body());
    return json(k.body()).getString("secret");
  }

  private static HttpResponse<String> get(int port, String path, String key) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + key)
            .timeout(Duration.ofSeconds(60))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Uploads {@code jsonl} as a batch file through /v1/files; its id. */
  private static String upload(int port, String key, String jsonl) throws Exception {
    String boundary = "----scale-out-it";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"requests.jsonl\""
                + "\r\nContent-Type: application/octet-stream\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    body.writeBytes(jsonl.getBytes(StandardCharsets.UTF_8));
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/files"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return json(r.body()).getString("id");
  }
}

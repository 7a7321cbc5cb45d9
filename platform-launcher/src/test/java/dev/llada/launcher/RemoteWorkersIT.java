package dev.llada.launcher;

import static dev.llada.launcher.TwoPlatformsIT.json;
import static dev.llada.launcher.TwoPlatformsIT.post;
import static dev.llada.launcher.TwoPlatformsIT.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import dev.llada.worker.remote.WorkerWire;
import jakarta.json.JsonObject;
import java.io.File;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #21 item 1 with real processes: one platform (LLADA_WORKERS=remote) and two standalone
 * workers ({@code WorkerMain}, as bin/worker runs it) on one PostgreSQL. Requests are served
 * through the workers; a worker killed (SIGKILL) under load with 20 requests in flight leaves every
 * request answered or refused with a retryable 503, the books balanced and no reservation open; the
 * platform goes on through the other; the workers refuse unauthenticated or other-protocol calls; a
 * drained worker takes no new work and deregisters when it stops.
 */
class RemoteWorkersIT {

  private static final int PORT = Integer.getInteger("it.http.port", 18091);
  private static final int WORKER_1 = PORT + 4;
  private static final int WORKER_2 = PORT + 5;
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final String MODEL = "llada-tiny-instruct";
  private static final String MASTER = "two-platforms-master-key-42";
  static final String SECRET = "remote-workers-it-secret-0123456789abcdef";
  private static final Path ZOO =
      Path.of("..", "models", MODEL).toAbsolutePath().normalize().getParent();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path temp;

  private Process worker(String name, int port, String databaseUrl) throws Exception {
    return worker(temp, name, port, databaseUrl);
  }

  /** A worker process as bin/worker starts it, its output in {@code home/name.log}. */
  static Process worker(Path home, String name, int port, String databaseUrl) throws Exception {
    Path module = Path.of("..", "inference-worker", "target").toAbsolutePath().normalize();
    String jar;
    try (var files = Files.list(module)) {
      jar =
          files
              .filter(p -> p.getFileName().toString().matches("inference-worker-.*\\.jar"))
              .findFirst()
              .orElseThrow()
              .toString();
    }
    ProcessBuilder b =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-XX:+UseSerialGC",
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-cp",
                jar + File.pathSeparator + module.resolve("lib") + "/*",
                "dev.llada.worker.remote.WorkerMain")
            .redirectErrorStream(true)
            .redirectOutput(home.resolve(name + ".log").toFile());
    Map<String, String> env = b.environment();
    env.keySet().removeIf(k -> k.startsWith("LLADA_") || k.startsWith("DATABASE_"));
    env.put("DATABASE_URL", databaseUrl);
    env.put("LLADA_WORKER_SECRET", SECRET);
    env.put("LLADA_WORKER_PORT", Integer.toString(port));
    env.put("LLADA_WORKER_ID", name);
    env.put("LLADA_WORKER_MEMORY", "2g");
    env.put("LLADA_SHUTDOWN_GRACE_SECONDS", "2");
    env.put("OMP_NUM_THREADS", "1");
    return b.start();
  }

  private void awaitLog(String name, String text, Duration within) throws Exception {
    awaitLog(temp, name, text, within);
  }

  static void awaitLog(Path home, String name, String text, Duration within) throws Exception {
    long until = System.nanoTime() + within.toNanos();
    Path log = home.resolve(name + ".log");
    while (!(Files.exists(log) && Files.readString(log).contains(text))) {
      assertTrue(System.nanoTime() < until, "no '" + text + "' from " + name);
      Thread.sleep(200);
    }
  }

  private static HttpRequest.Builder toWorker(int port, String method, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30))
        .header(WorkerWire.PROTOCOL_HEADER, Integer.toString(WorkerWire.PROTOCOL))
        .header(WorkerWire.AUTH_HEADER, WorkerWire.authorization(SECRET, method, path));
  }

  /** The jobs worker {@code port} runs now, from its health endpoint. */
  private static int running(int port) throws Exception {
    HttpResponse<String> h =
        HTTP.send(
            toWorker(port, "GET", "/worker/v1/health").build(),
            HttpResponse.BodyHandlers.ofString());
    return h.statusCode() == 200 ? json(h.body()).getInt("running") : 0;
  }

  private static String completion(int steps) {
    return "{\"model\":\""
        + MODEL
        + "\",\"prompt\":\"sort 4321:\",\"max_tokens\":"
        + steps
        + ",\"steps\":"
        + steps
        + ",\"seed\":3}";
  }

  @Test
  void twoWorkersServeAPlatformAndOneKilledUnderLoadLosesNoAcceptedRequest() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      Map<String, String> remote =
          Map.of(
              "LLADA_WORKERS", "remote",
              "LLADA_WORKER_SECRET", SECRET,
              "LLADA_RESERVATIONS_LEASE_SECONDS", "20",
              "LLADA_RETENTION_SWEEP_SECONDS", "2");
      PlatformLauncherIT.Launched platform =
          TwoPlatformsIT.platform(temp, "p", PORT, ZOO, url, remote);
      Process w1 = null;
      Process w2 = null;
      try {
        platform.awaitLine("is ready in", Duration.ofSeconds(240)); // migrates: V15 is there
        w1 = worker("w1", WORKER_1, url);
        w2 = worker("w2", WORKER_2, url);
        awaitLog("w1", "is ready at", Duration.ofSeconds(60));
        awaitLog("w2", "is ready at", Duration.ofSeconds(60));
        assertEquals(2, queryLong(db, "SELECT count(*) FROM inference_worker"));
        String key = tenant();

        // served through a worker, the same seed the same answer
        HttpResponse<String> first = post(PORT, "/v1/completions", key, completion(8));
        assertEquals(200, first.statusCode(), first.body());
        HttpResponse<String> again = post(PORT, "/v1/completions", key, completion(8));
        assertEquals(text(first), text(again));
        // the heartbeats say what each holds and what memory it has left for another model
        long until0 = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (queryLong(db, "SELECT count(*) FROM inference_worker WHERE resident <> ''") == 0) {
          assertTrue(System.nanoTime() < until0, "a heartbeat named the resident model");
          Thread.sleep(200);
        }
        assertEquals(
            2,
            queryLong(db, "SELECT count(*) FROM inference_worker WHERE free_bytes > 0"),
            "both workers report free memory");
        // a second replica on the same database shares the workers
        PlatformLauncherIT.Launched replica =
            TwoPlatformsIT.platform(temp, "q", PORT + 1, ZOO, url, remote);
        try {
          replica.awaitLine("is ready in", Duration.ofSeconds(240));
          HttpResponse<String> viaReplica = post(PORT + 1, "/v1/completions", key, completion(8));
          assertEquals(200, viaReplica.statusCode(), viaReplica.body());
          assertEquals(text(first), text(viaReplica));
        } finally {
          replica.kill();
        }

        // the workers answer only the secret's holders, of their protocol
        HttpResponse<String> anonymous =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + WORKER_2 + "/worker/v1/health"))
                    .header(WorkerWire.PROTOCOL_HEADER, "1")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        HttpResponse<String> otherProtocol =
            HTTP.send(
                toWorker(WORKER_2, "GET", "/worker/v1/health")
                    .setHeader(WorkerWire.PROTOCOL_HEADER, "99")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, otherProtocol.statusCode(), otherProtocol.body());
        String auth = WorkerWire.authorization(SECRET, "GET", "/worker/v1/health");
        HttpResponse<String> health =
            HTTP.send(
                toWorker(WORKER_2, "GET", "/worker/v1/health")
                    .setHeader(WorkerWire.AUTH_HEADER, auth)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(
            WorkerWire.proves(
                SECRET, auth, health.headers().firstValue(WorkerWire.PROOF_HEADER).orElse(null)),
            "the worker proves it holds the secret");
        assertTrue(
            !WorkerWire.proves(
                "another-secret-of-at-least-32-characters",
                auth,
                health.headers().firstValue(WorkerWire.PROOF_HEADER).orElse(null)));

        // 20 in flight; worker 1 dies (SIGKILL) while it runs some of them
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          calls.add(
              HTTP.sendAsync(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/v1/completions"))
                      .header("Authorization", "Bearer " + key)
                      .header("Content-Type", "application/json")
                      .timeout(Duration.ofSeconds(180))
                      .POST(HttpRequest.BodyPublishers.ofString(completion(96)))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
        }
        // asked directly (a heartbeat is seconds old): killed while it runs some, steps streamed
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (running(WORKER_1) < 2) {
          assertTrue(System.nanoTime() < until, "worker 1 took some of the requests");
          Thread.sleep(20);
        }
        Thread.sleep(150);
        w1.destroyForcibly();
        assertTrue(w1.waitFor(30, TimeUnit.SECONDS));
        int ok = 0;
        int retryable = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
          HttpResponse<String> r = c.get(180, TimeUnit.SECONDS);
          if (r.statusCode() == 200) {
            ok++;
          } else {
            assertEquals(503, r.statusCode(), r.body());
            assertEquals(
                "worker_unavailable", json(r.body()).getJsonObject("error").getString("code"));
            assertTrue(r.headers().firstValue("Retry-After").isPresent(), "retryable");
            retryable++;
          }
        }
        assertEquals(20, ok + retryable);
        assertTrue(ok >= 1 && retryable >= 1, ok + " answered, " + retryable + " retryable");
        // the platform goes on through worker 2 (worker 1's heartbeat goes stale)
        HttpResponse<String> after = post(PORT, "/v1/completions", key, completion(8));
        assertEquals(200, after.statusCode(), after.body());
        assertEquals(text(first), text(after));
        assertEquals(0, queryLong(db, "SELECT count(*) FROM reservation_lease"), "all settled");
        HttpResponse<String> drift =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + PORT + "/v1/admin/tenants/remote/usage/drift"))
                    .header("Authorization", "Bearer " + MASTER)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(json(drift.body()).getBoolean("consistent"), drift.body());
        assertEquals(
            0,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                    + " AND compute_units = 0"),
            "every answer charged what ran");

        // worker 2 drains: it takes nothing new, and the platform has no worker left to ask
        HttpResponse<String> drain =
            HTTP.send(
                toWorker(WORKER_2, "POST", "/worker/v1/drain")
                    .POST(HttpRequest.BodyPublishers.noBody())
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, drain.statusCode(), drain.body());
        until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) { // answered until the drain reaches it, refused retryably from then on
          HttpResponse<String> r = post(PORT, "/v1/completions", key, completion(4));
          if (r.statusCode() != 200) {
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("platform_busy", json(r.body()).getJsonObject("error").getString("code"));
            assertTrue(r.headers().firstValue("Retry-After").isPresent());
            break;
          }
          assertTrue(System.nanoTime() < until, "the drain reached the platform");
          Thread.sleep(300);
        }
        assertEquals(
            0, queryLong(db, "SELECT count(*) FROM reservation_lease"), "nothing reserved");
        // stopped (SIGTERM), it deregisters
        w2.destroy();
        assertTrue(w2.waitFor(60, TimeUnit.SECONDS));
        assertEquals(
            0,
            queryLong(db, "SELECT count(*) FROM inference_worker WHERE id = 'w2'"),
            "deregistered");
      } finally {
        if (w1 != null) {
          w1.destroyForcibly();
        }
        if (w2 != null) {
          w2.destroyForcibly();
        }
        platform.kill();
      }
    }
  }

  private static String tenant() throws Exception {
    HttpResponse<String> t =
        post(
            PORT,
            "/v1/admin/tenants",
            MASTER,
            "{\"slug\":\"remote\",\"display_name\":\"R\",\"entitlements\":[\"INSTRUCT\"]}");
    assertEquals(201, t.statusCode(), t.body());
    HttpResponse<String> k =
        post(PORT, "/v1/admin/tenants/remote/keys", MASTER, "{\"name\":\"k\"}");
    assertEquals(201, k.statusCode(), k.body());
    return json(k.body()).getString("secret");
  }

  private static String text(HttpResponse<String> r) {
    JsonObject o = json(r.body());
    return o.getJsonArray("choices").getJsonObject(0).getString("text");
  }
}

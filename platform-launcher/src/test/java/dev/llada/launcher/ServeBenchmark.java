package dev.llada.launcher;

import dev.llada.db.EmbeddedDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #16's serving benchmark through HTTP against the platform as {@code bin/platform} runs it
 * (the launcher, Payara Micro, PostgreSQL, the shipped tiny zoo). Two platforms in turn on one
 * database, the same requests to each: serial ({@code LLADA_WORKER_MAX_BATCH=1}) and the shipped
 * default (continuous batching, 8). For each: throughput and p50/p95/p99 latency at concurrency 1,
 * 2, 4, 8, 16 (closed loop, 8 requests per client, after a warm-up); tenant B's p95 alone and while
 * tenant A keeps 40 requests in flight; {@code /health/ready} p99 with 200 requests queued (four
 * tenants × 50); how fast a full queue refuses (429 for a tenant over its 64, 503 past 256 in all;
 * probes sent one after another once the queues are full). Not a test: run it alone on the machine
 * (training paused), then copy the table it prints into docs/BENCHMARKS.md:
 *
 * <pre>mvn -B -pl platform-launcher verify -Dit.test=ServeBenchmark -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class ServeBenchmark {

  private static final int PORT = Integer.getInteger("it.http.port", 18091) + 5;
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434) + 5;
  private static final String MODEL = "llada-tiny-instruct";
  private static final String MASTER = "two-platforms-master-key-42";
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1) // as the OpenAI clients and curl talk
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** The request: the ContinuousBatchingBenchmark's (32 reference steps over 32 tokens). */
  static String chat(int n) {
    return "{\"model\":\""
        + MODEL
        + "\",\"prompt\":\"sort "
        + (1000 + n % 9000)
        + ":\",\"max_tokens\":32,\"steps\":32,\"sampler\":\"reference\",\"seed\":"
        + n
        + "}";
  }

  @TempDir Path temp;

  private final StringBuilder report = new StringBuilder();
  private final AtomicInteger seq = new AtomicInteger();

  @Test
  void serialAgainstBatching() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      Path zoo = Path.of("..", "models").toAbsolutePath().normalize();
      report.append(
          "| worker | measure | concurrency | requests | wall s | requests/s | p50 ms | p95 ms |"
              + " p99 ms |\n|---|---|---|---|---|---|---|---|---|\n");
      boolean first = true;
      for (int maxBatch : new int[] {1, 8}) {
        PlatformLauncherIT.Launched p =
            TwoPlatformsIT.platform(
                temp,
                "b" + maxBatch,
                PORT,
                zoo,
                url,
                Map.of("LLADA_WORKER_MAX_BATCH", Integer.toString(maxBatch)));
        try {
          p.awaitLine("is ready in", Duration.ofSeconds(300));
          if (first) {
            for (String t : List.of("bench-a", "bench-b", "bench-c", "bench-d", "bench-e")) {
              tenant(t);
            }
            first = false;
          }
          run(maxBatch == 1 ? "serial (max batch 1)" : "batching (max batch 8)");
        } finally {
          p.interrupt();
          p.process.waitFor(90, java.util.concurrent.TimeUnit.SECONDS);
          p.kill();
        }
      }
      Path out = Path.of("target", "serve-benchmark.md");
      Files.writeString(out, report.toString());
      System.out.println("\n" + report);
    }
  }

  private final Map<String, String> keys = new java.util.HashMap<>();

  private void tenant(String slug) throws Exception {
    send(
        MASTER,
        "/v1/admin/tenants",
        "{\"slug\":\""
            + slug
            + "\",\"display_name\":\""
            + slug
            + "\",\"entitlements\":[\"INSTRUCT\"]}");
    HttpResponse<String> key =
        send(MASTER, "/v1/admin/tenants/" + slug + "/keys", "{\"name\":\"b\"}");
    keys.put(slug, json(key.body()).getString("secret"));
  }

  private void run(String worker) throws Exception {
    closedLoop(keys.get("bench-a"), 4, 4); // warm-up: the model loads, the JIT settles
    for (int c : new int[] {1, 2, 4, 8, 16}) {
      row(worker, "throughput", c, closedLoop(keys.get("bench-a"), c, 8));
    }
    Latencies solo = closedLoop(keys.get("bench-b"), 1, 20);
    row(worker, "tenant B alone", 1, solo);
    row(worker, "tenant B, A keeps 40 in flight", 1, whileFlooded());
    row(worker, "/health/ready, 200 queued", 1, healthWhileQueued());
    row(worker, "429 tenant_queue_full answers", 1, refusals(false));
    row(worker, "503 platform_busy answers", 1, refusals(true));
  }

  /** Latencies (ms) of a set of requests and the wall time they took together. */
  private record Latencies(List<Double> ms, double wallSeconds, int ok) {
    double percentile(double p) {
      List<Double> sorted = new ArrayList<>(ms);
      Collections.sort(sorted);
      return sorted.isEmpty()
          ? Double.NaN
          : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
  }

  private void row(String worker, String measure, int c, Latencies l) {
    report.append(
        String.format(
            java.util.Locale.ROOT,
            "| %s | %s | %d | %d | %.2f | %.1f | %.0f | %.0f | %.0f |%n",
            worker,
            measure,
            c,
            l.ms().size(),
            l.wallSeconds(),
            l.ok() / l.wallSeconds(),
            l.percentile(0.50),
            l.percentile(0.95),
            l.percentile(0.99)));
    System.out.println(report.substring(report.lastIndexOf("| " + worker)));
  }

  /** {@code clients} each send {@code each} requests back to back. */
  private Latencies closedLoop(String key, int clients, int each) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Double> ms = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger ok = new AtomicInteger();
    long start = System.nanoTime();
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      all.add(
          pool.submit(
              () -> {
                for (int j = 0; j < each; j++) {
                  long t = System.nanoTime();
                  int status =
                      send(key, "/v1/completions", chat(seq.incrementAndGet())).statusCode();
                  ms.add((System.nanoTime() - t) / 1e6);
                  if (status == 200) {
                    ok.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : all) {
      f.get();
    }
    pool.shutdown();
    return new Latencies(ms, (System.nanoTime() - start) / 1e9, ok.get());
  }

  /** Tenant B's 20 sequential requests while tenant A keeps 40 in flight. */
  private Latencies whileFlooded() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean flooding =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    ExecutorService flood = Executors.newFixedThreadPool(40);
    for (int i = 0; i < 40; i++) {
      flood.submit(
          () -> {
            while (flooding.get()) {
              send(keys.get("bench-a"), "/v1/completions", chat(seq.incrementAndGet()));
            }
            return null;
          });
    }
    Thread.sleep(2_000); // A's 40 are in flight
    Latencies b = closedLoop(keys.get("bench-b"), 1, 20);
    flooding.set(false);
    flood.shutdown();
    flood.awaitTermination(120, java.util.concurrent.TimeUnit.SECONDS);
    return b;
  }

  /** 50 requests from each of four tenants at once (200 queued), and 50 health checks meanwhile. */
  private Latencies healthWhileQueued() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
    for (String t : List.of("bench-a", "bench-b", "bench-c", "bench-d")) {
      for (int i = 0; i < 50; i++) {
        queued.add(sendAsync(keys.get(t), chat(seq.incrementAndGet())));
      }
    }
    Thread.sleep(1_000);
    List<Double> ms = new ArrayList<>();
    int ok = 0;
    long start = System.nanoTime();
    for (int i = 0; i < 50; i++) {
      long t = System.nanoTime();
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/health/ready"))
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      ms.add((System.nanoTime() - t) / 1e6);
      ok += r.statusCode() == 200 ? 1 : 0;
      Thread.sleep(50);
    }
    double wall = (System.nanoTime() - start) / 1e9;
    CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).join();
    return new Latencies(ms, wall, ok);
  }

  /**
   * Fills the queues (one tenant past its 64 waiting for 429; five tenants past 256 waiting in all
   * for 503), lets the burst be taken in, then sends 30 probes one after another and times those
   * that are refused: how fast a full queue answers.
   */
  private Latencies refusals(boolean platformWide) throws Exception {
    List<String> tenants =
        platformWide
            ? List.of("bench-a", "bench-b", "bench-c", "bench-d", "bench-e")
            : List.of("bench-a");
    List<CompletableFuture<HttpResponse<String>>> fill = new ArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean flooding =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    ExecutorService flood = Executors.newFixedThreadPool(90);
    if (platformWide) { // 300 sent, 288 places: the platform's queue stays full for seconds
      for (int i = 0; i < 60; i++) {
        for (String t : tenants) {
          fill.add(sendAsync(keys.get(t), chat(seq.incrementAndGet())));
        }
      }
    } else { // 90 clients of one tenant, each sending again at once: its queue stays at 64
      for (int i = 0; i < 90; i++) {
        flood.submit(
            () -> {
              while (flooding.get()) {
                send(keys.get("bench-a"), "/v1/completions", chat(seq.incrementAndGet()));
              }
              return null;
            });
      }
    }
    Thread.sleep(1_500); // the burst is taken in: the queues are full
    String probe = keys.get(platformWide ? "bench-e" : "bench-a");
    List<Double> ms = new ArrayList<>();
    List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < 30; i++) {
      long t = System.nanoTime();
      CompletableFuture<HttpResponse<String>> r = sendAsync(probe, chat(seq.incrementAndGet()));
      try {
        HttpResponse<String> answer = r.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (answer.statusCode() == (platformWide ? 503 : 429)) {
          ms.add((System.nanoTime() - t) / 1e6);
        }
      } catch (java.util.concurrent.TimeoutException taken) {
        admitted.add(r); // a place had come free: it runs
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    flooding.set(false);
    flood.shutdown();
    flood.awaitTermination(300, java.util.concurrent.TimeUnit.SECONDS);
    fill.addAll(admitted);
    CompletableFuture.allOf(fill.toArray(CompletableFuture[]::new)).join();
    return new Latencies(ms, wall, ms.size());
  }

  private static CompletableFuture<HttpResponse<String>> sendAsync(String key, String json) {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/v1/completions"))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .timeout(Duration.ofSeconds(300))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> send(String key, String path, String json) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + path))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .timeout(Duration.ofSeconds(300))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject json(String body) {
    try (var reader = Json.createReader(new StringReader(body))) {
      return reader.readObject();
    }
  }
}

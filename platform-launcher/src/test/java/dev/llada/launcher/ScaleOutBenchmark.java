package dev.llada.launcher;

import dev.llada.db.EmbeddedDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #21's benchmark: the same requests through a platform serving models itself (embedded
 * worker), through one standalone worker, and through two, all on this machine: per configuration
 * p50/p95 latency of 30 requests one at a time (the routing overhead is remote p50 − embedded p50)
 * and throughput at concurrency 8 (closed loop, 8 requests a client, after a warm-up). On a 2-core
 * host the platform, PostgreSQL and the workers share the cores: 1 vs 2 workers measures contention
 * more than scaling. Not a test: run it alone, then copy the table it prints into
 * docs/BENCHMARKS.md:
 *
 * <pre>mvn -B -pl platform-launcher verify -Dit.test=ScaleOutBenchmark -Dtest=NONE
 * -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class ScaleOutBenchmark {

  private static final int PORT = Integer.getInteger("it.http.port", 18091);
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final String MASTER = "two-platforms-master-key-42";
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @TempDir Path temp;

  private final AtomicInteger seq = new AtomicInteger();

  private long call(String key) throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + "/v1/completions"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(120))
                .POST(
                    HttpRequest.BodyPublishers.ofString(ServeBenchmark.chat(seq.incrementAndGet())))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new AssertionError(r.statusCode() + " " + r.body());
    }
    return System.nanoTime() - t0;
  }

  private static long pct(List<Long> sorted, double p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1))
        / 1_000_000;
  }

  @Test
  void embeddedAgainstOneAndTwoWorkers() throws Exception {
    StringBuilder report =
        new StringBuilder(
            "| configuration | measure | requests | wall s | requests/s | p50 ms | p95 ms |\n"
                + "|---|---|---|---|---|---|---|\n");
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      Path zoo = Path.of("..", "models").toAbsolutePath().normalize();
      String[] names = {"embedded", "1 worker", "2 workers"};
      for (int workers = 0; workers <= 2; workers++) {
        // one intra-op thread wherever the model runs, as the standalone workers have
        String opts =
            "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dai.djl.pytorch.num_threads=1";
        Map<String, String> env =
            workers == 0
                ? Map.of("LLADA_JAVA_OPTS", opts)
                : Map.of(
                    "LLADA_WORKERS",
                    "remote",
                    "LLADA_WORKER_SECRET",
                    RemoteWorkersIT.SECRET,
                    "LLADA_JAVA_OPTS",
                    opts);
        PlatformLauncherIT.Launched p =
            TwoPlatformsIT.platform(temp, "p" + workers, PORT, zoo, url, env);
        List<Process> started = new ArrayList<>();
        try {
          p.awaitLine("is ready in", Duration.ofSeconds(240));
          for (int w = 0; w < workers; w++) {
            String name = "w" + workers + "-" + w;
            started.add(RemoteWorkersIT.worker(temp, name, PORT + 4 + w, url));
            RemoteWorkersIT.awaitLog(temp, name, "is ready at", Duration.ofSeconds(60));
          }
          String slug = "bench" + workers;
          TwoPlatformsIT.post(
              PORT,
              "/v1/admin/tenants",
              MASTER,
              "{\"slug\":\"" + slug + "\",\"display_name\":\"B\",\"entitlements\":[\"INSTRUCT\"]}");
          String key =
              TwoPlatformsIT.json(
                      TwoPlatformsIT.post(
                              PORT,
                              "/v1/admin/tenants/" + slug + "/keys",
                              MASTER,
                              "{\"name\":\"k\"}")
                          .body())
                  .getString("secret");
          for (int i = 0; i < 10; i++) {
            call(key); // warm-up: loads, JIT
          }
          List<Long> serial = new ArrayList<>();
          long t0 = System.nanoTime();
          for (int i = 0; i < 30; i++) {
            serial.add(call(key));
          }
          row(report, names[workers], "one at a time", serial, System.nanoTime() - t0);
          ExecutorService clients = Executors.newFixedThreadPool(8);
          List<Long> lat = Collections.synchronizedList(new ArrayList<>());
          List<Future<?>> fs = new ArrayList<>();
          long t1 = System.nanoTime();
          for (int c = 0; c < 8; c++) {
            fs.add(
                clients.submit(
                    () -> {
                      for (int i = 0; i < 8; i++) {
                        lat.add(call(key));
                      }
                      return null;
                    }));
          }
          for (Future<?> f : fs) {
            f.get();
          }
          row(report, names[workers], "concurrency 8", lat, System.nanoTime() - t1);
          clients.shutdown();
        } finally {
          for (Process w : started) {
            w.destroyForcibly().waitFor();
          }
          p.kill();
          p.process.waitFor();
        }
      }
    }
    System.out.println("\nScaleOutBenchmark\n" + report);
  }

  private static void row(
      StringBuilder out, String config, String measure, List<Long> ns, long wall) {
    List<Long> sorted = new ArrayList<>(ns);
    Collections.sort(sorted);
    double seconds = wall / 1e9;
    out.append(
        String.format(
            java.util.Locale.ROOT,
            "| %s | %s | %d | %.2f | %.1f | %d | %d |%n",
            config,
            measure,
            ns.size(),
            seconds,
            ns.size() / seconds,
            pct(sorted, 0.5),
            pct(sorted, 0.95)));
  }
}

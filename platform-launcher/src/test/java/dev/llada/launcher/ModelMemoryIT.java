package dev.llada.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.sampling.StepBatcher;
import dev.llada.db.EmbeddedDatabase;
import dev.llada.worker.ModelFootprint;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #16 item 3 on a real platform (launcher, Payara Micro, PostgreSQL): models are admitted by
 * memory. With {@code LLADA_WORKER_MEMORY} room for one of two models (the zoo's Instruct model at
 * its 128-token context and at 256) and not both, serving the other unloads the idle one (the
 * resident bytes on {@code /metrics} are its footprint); a model whose footprint exceeds the whole
 * budget is refused at once with 503 {@code model_does_not_fit}, nothing reserved, nothing unloaded
 * for it, and the platform goes on serving.
 */
class ModelMemoryIT {

  private static final int PORT = Integer.getInteger("it.http.port", 18091);
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final Path ZOO = Path.of("..", "models").toAbsolutePath().normalize();
  private static final String MASTER = "two-platforms-master-key-42";
  private static final int MAX_BATCH = 2;
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path temp;

  private static long footprint(Path model) {
    return ModelFootprint.of(
            LladaConfig.read(model), MAX_BATCH, StepBatcher.DEFAULT_MAX_LOGITS_VALUES)
        .bytes();
  }

  @Test
  void modelsAreAdmittedByMemoryAndOneTooLargeIsRefusedClearly() throws Exception {
    long instruct = footprint(ZOO.resolve("llada-tiny-instruct"));
    // the Instruct model with longer contexts: the same weights, larger working sets
    Path longer = withContext(temp.resolve("llada-tiny-long"), 256);
    Path wide = withContext(temp.resolve("llada-tiny-wide"), 4096);
    long budget = footprint(longer) + instruct / 2; // one of the two, never both
    assertTrue(footprint(longer) > instruct && footprint(wide) > budget);

    try (Started started = start("m", Map.of("LLADA_WORKER_MEMORY", Long.toString(budget)))) {
      EmbeddedDatabase db = started.db();
      String key = tenantKey("mem");
      register("llada-tiny-long", longer);
      register("llada-tiny-wide", wide);

      assertEquals(200, complete(key, "llada-tiny-instruct").statusCode());
      awaitResident(instruct);
      assertEquals(200, complete(key, "llada-tiny-long").statusCode());
      awaitResident(footprint(longer)); // the idle Instruct model was unloaded to make room

      HttpResponse<String> refused = complete(key, "llada-tiny-wide");
      assertEquals(503, refused.statusCode(), refused.body());
      JsonObject error = json(refused.body()).getJsonObject("error");
      assertEquals("model_does_not_fit", error.getString("code"));
      assertTrue(
          error.getString("message").contains("'llada-tiny-wide' needs ")
              && error.getString("message").contains("LLADA_WORKER_MEMORY"),
          refused.body());
      assertTrue(refused.headers().firstValue("Retry-After").isEmpty(), "retrying won't help");
      assertEquals(2, queryLong(db, "SELECT count(*) FROM usage_ledger WHERE entry = 'RESERVE'"));
      assertEquals(0, queryLong(db, "SELECT count(*) FROM reservation_lease"));
      Thread.sleep(6_000); // a gauge refresh later: nothing was unloaded for the model
      awaitResident(footprint(longer));

      assertEquals(200, get("/health/ready").statusCode());
      assertEquals(200, complete(key, "llada-tiny-instruct").statusCode());
      awaitResident(instruct);
    }
  }

  /**
   * Issue #16 item 5: {@code LLADA_DEVICES=cpu:2} gives two slots, {@code LLADA_PRELOAD} loads a
   * model before its first request (its footprint is resident once the platform is up), and
   * concurrent requests are all served.
   */
  @Test
  void twoSlotsServeAndAPreloadedModelIsResidentBeforeItsFirstRequest() throws Exception {
    long instruct = footprint(ZOO.resolve("llada-tiny-instruct"));
    try (Started started =
        start(
            "d",
            Map.of(
                "LLADA_DEVICES", "cpu:2",
                "LLADA_PRELOAD", "llada-tiny-instruct"))) {
      EmbeddedDatabase db = started.db();
      awaitResident(instruct); // preloaded: no request has been made
      String key = tenantKey("dev");
      java.util.concurrent.ExecutorService clients =
          java.util.concurrent.Executors.newFixedThreadPool(12);
      try {
        java.util.List<java.util.concurrent.Future<HttpResponse<String>>> calls =
            new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) { // 12 at once: more than a cold start's worth on one slot
          calls.add(clients.submit(() -> complete(key, "llada-tiny-instruct", 32)));
        }
        for (var c : calls) {
          HttpResponse<String> r = c.get(120, java.util.concurrent.TimeUnit.SECONDS);
          assertEquals(200, r.statusCode(), r.body());
        }
      } finally {
        clients.shutdownNow();
      }
      assertEquals(
          12, queryLong(db, "SELECT count(*) FROM usage_ledger WHERE outcome = 'SUCCESS'"));
      awaitResident(2 * instruct); // the burst loaded a second copy on the other slot
    }
  }

  /** A platform process and its database, stopped and closed together. */
  private record Started(EmbeddedDatabase db, PlatformLauncherIT.Launched platform)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      try {
        platform.kill();
      } finally {
        db.close();
      }
    }
  }

  /** A platform (batch {@link #MAX_BATCH}, settings {@code env}) on its own database, ready. */
  private Started start(String name, Map<String, String> env) throws Exception {
    EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg-" + name), DB_PORT, false);
    PlatformLauncherIT.Launched platform = null;
    try {
      Map<String, String> all = new java.util.HashMap<>(env);
      all.put("LLADA_WORKER_MAX_BATCH", Integer.toString(MAX_BATCH));
      platform = TwoPlatformsIT.platform(temp, name, PORT, ZOO, db.databaseUrl(), all);
      platform.awaitLine("is ready in", Duration.ofSeconds(240));
      return new Started(db, platform);
    } catch (Exception | Error e) {
      if (platform != null) {
        platform.kill();
      }
      db.close();
      throw e;
    }
  }

  /** The zoo's Instruct model (links to its files) with a config of another context length. */
  private static Path withContext(Path dir, int context) throws Exception {
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(ZOO.resolve("llada-tiny-instruct"))) {
      for (Path f : files.toList()) {
        Path to = dir.resolve(f.getFileName().toString());
        if (f.getFileName().toString().equals("config.json")) {
          Files.writeString(
              to,
              Files.readString(f)
                  .replaceAll(
                      "\"max_sequence_length\":\\s*\\d+", "\"max_sequence_length\": " + context));
        } else {
          Files.createSymbolicLink(to, f);
        }
      }
    }
    return dir;
  }

  /** Registers {@code dir} as version 1 of {@code name}, served under its name (a global alias). */
  private static void register(String name, Path dir) throws Exception {
    HttpResponse<String> reg =
        post(
            "/v1/admin/models",
            MASTER,
            Json.createObjectBuilder()
                .add("name", name)
                .add("variant", "INSTRUCT")
                .add("path", dir.toString())
                .build()
                .toString());
    assertEquals(201, reg.statusCode(), reg.body());
    HttpResponse<String> alias =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + PORT + "/v1/admin/aliases/" + name))
                .header("Authorization", "Bearer " + MASTER)
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"version\":\"" + name + ":1\"}"))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertTrue(alias.statusCode() / 100 == 2, alias.body());
  }

  private static HttpResponse<String> post(String path, String key, String json) throws Exception {
    return TwoPlatformsIT.post(PORT, path, key, json);
  }

  private static JsonObject json(String body) {
    return TwoPlatformsIT.json(body);
  }

  private static long queryLong(EmbeddedDatabase db, String sql) throws Exception {
    return TwoPlatformsIT.queryLong(db, sql);
  }

  /** A new tenant entitled to INSTRUCT models, and a key of it. */
  private static String tenantKey(String slug) throws Exception {
    assertEquals(
        201,
        post(
                "/v1/admin/tenants",
                MASTER,
                Json.createObjectBuilder()
                    .add("slug", slug)
                    .add("display_name", slug)
                    .add("entitlements", Json.createArrayBuilder().add("INSTRUCT"))
                    .build()
                    .toString())
            .statusCode());
    return json(post("/v1/admin/tenants/" + slug + "/keys", MASTER, "{\"name\":\"k\"}").body())
        .getString("secret");
  }

  private static HttpResponse<String> complete(String key, String model) throws Exception {
    return complete(key, model, 4);
  }

  private static HttpResponse<String> complete(String key, String model, int steps)
      throws Exception {
    return post(
        "/v1/completions",
        key,
        "{\"model\":\""
            + model
            + "\",\"prompt\":\"sort 21:\",\"max_tokens\":"
            + steps
            + ",\"steps\":"
            + steps
            + "}");
  }

  /**
   * Waits until {@code /metrics} reports {@code bytes} resident on the CPU (refreshed each 5 s).
   */
  private static void awaitResident(long bytes) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    double seen = -1;
    while (System.nanoTime() < deadline) {
      Matcher m =
          Pattern.compile("(?m)^llada_resident_model_bytes\\{[^}]*device=\"cpu\"[^}]*\\}\\s+(\\S+)")
              .matcher(get("/metrics").body());
      seen = m.find() ? Double.parseDouble(m.group(1)) : -1;
      if (seen == bytes) {
        return;
      }
      Thread.sleep(500);
    }
    assertEquals((double) bytes, seen, "resident model bytes on /metrics");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT + path))
            .header("Accept", "text/plain")
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

package dev.llada.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two platform JVMs (two launchers, two Payara Micro processes) on one PostgreSQL, as a scaled-out
 * deployment runs (issue #14): the second platform's zoo registration races administrators
 * registering the same name through the first, and every version is numbered in turn without an
 * error; the retention sweeper runs in one JVM at a time, and the other takes over when it stops.
 */
class TwoPlatformsIT {

  private static final Path RUNTIME =
      Path.of(System.getProperty("llada.runtime", "target/runtime")).toAbsolutePath();
  private static final int PORT_A = Integer.getInteger("it.http.port", 18091);
  private static final int PORT_B = PORT_A + 1;
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final String MODEL = "llada-tiny-instruct";
  private static final Path ZOO_MODEL = Path.of("..", "models", MODEL).toAbsolutePath().normalize();
  private static final String MASTER = "two-platforms-master-key-42";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path temp;

  @Test
  void zooAndAdminRegistrationsRaceIntoConsecutiveVersionsAndOneJvmSweeps() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      Path zooA = temp.resolve("zoo-a");
      Path zooB = temp.resolve("zoo-b");
      variant(zooA.resolve(MODEL), 0); // the shipped files
      variant(zooB.resolve(MODEL), 1); // other bytes: a new digest, so a new version
      PlatformLauncherIT.Launched a =
          launch("a", PORT_A, zooA, url, Map.of("LLADA_SHUTDOWN_GRACE_SECONDS", "2"));
      PlatformLauncherIT.Launched b = null;
      ExecutorService admins = Executors.newFixedThreadPool(2);
      try {
        a.awaitLine("is ready in", Duration.ofSeconds(240));
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger copies = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
          answers.add(register(copies.incrementAndGet()));
        }
        b = launch("b", PORT_B, zooB, url);
        Path logB = temp.resolve("var-b/log/payara.log");
        // B registers its zoo right after its migration: hammer A from then until B is done
        awaitLog(logB, "database schema at version", Duration.ofSeconds(240));
        AtomicBoolean zooDone = new AtomicBoolean();
        List<java.util.concurrent.Future<?>> racers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
          racers.add(
              admins.submit(
                  () -> {
                    int after = 0;
                    long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                    while (after < 3 && System.nanoTime() < until) {
                      if (zooDone.get()) {
                        after++;
                      }
                      answers.add(register(copies.incrementAndGet()));
                    }
                    return null;
                  }));
        }
        awaitLog(logB, "model zoo: ", Duration.ofSeconds(120));
        zooDone.set(true);
        for (var r : racers) {
          r.get(120, TimeUnit.SECONDS);
        }
        b.awaitLine("is ready in", Duration.ofSeconds(240));
        String zooLine = lines(logB).filter(l -> l.contains("model zoo: ")).findFirst().get();
        assertTrue(zooLine.contains("model zoo: 1 model(s) registered"), zooLine);
        assertFalse(
            Files.readString(logB).contains("failed; will retry"), "B's zoo registered at once");
        for (String answer : answers) {
          assertTrue(answer.startsWith("201 "), "every admin registration created one: " + answer);
        }

        List<JsonObject> versions = versions();
        Set<String> digests = new HashSet<>();
        for (int i = 0; i < versions.size(); i++) {
          assertEquals(i + 1, versions.get(i).getInt("version"), "consecutive numbers");
          assertTrue(digests.add(versions.get(i).getString("digest")), "one version a digest");
        }
        assertEquals(1 + answers.size() + 1, versions.size(), "A's zoo, the admins', B's zoo");
        String zooBUri = zooB.resolve(MODEL).toUri().toString();
        int zooVersion =
            versions.stream()
                .filter(v -> v.getString("artifact_uri").startsWith(zooBUri.replaceAll("/$", "")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("B's zoo version is missing: " + versions))
                .getInt("version");
        assertTrue(
            zooVersion > 4 && zooVersion < versions.size(),
            "B's zoo registration landed among the racing admin registrations: v"
                + zooVersion
                + " of "
                + versions.size());

        // the sweeper: A took the lease first and keeps it while it lives; B never sweeps
        Thread.sleep(6_000);
        Path logA = temp.resolve("var-a/log/payara.log");
        assertEquals(1, count(logA, "now sweeps"), "A leads once and stays leader");
        assertEquals(0, count(logB, "now sweeps"), "B waits while A holds the lease");
        String holderA = holder(db);
        assertTrue(lines(logA).anyMatch(l -> l.contains("retention: " + holderA + " now sweeps")));
        // a request runs on A when it stops: A drains (2 s grace here), stops it, settles it
        assertEquals(
            201,
            post(
                    PORT_A,
                    "/v1/admin/tenants",
                    MASTER,
                    "{\"slug\":\"drain\",\"display_name\":\"D\",\"entitlements\":[\"INSTRUCT\"]}")
                .statusCode());
        String key =
            json(post(PORT_A, "/v1/admin/tenants/drain/keys", MASTER, "{\"name\":\"k\"}").body())
                .getString("secret");
        java.util.concurrent.CompletableFuture<HttpResponse<String>> running =
            HTTP.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT_A + "/v1/completions"))
                    .header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\""
                                + MODEL
                                + "\",\"prompt\":\"sort 1:\",\"gen_length\":100,"
                                + "\"steps\":4000,\"sampler\":\"reference\"}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        long admitted = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (queryLong(db, "SELECT count(*) FROM reservation_lease") == 0) {
          assertTrue(System.nanoTime() < admitted, "the request was admitted");
          Thread.sleep(50);
        }
        // A stops (Ctrl-C): it drains, steps down, and B takes over at its next attempt
        a.interrupt();
        // Payara closes its HTTP listener before it stops the application, so the client sees
        // the connection end (a 503 shutting_down, should it still get an answer)
        try {
          HttpResponse<String> stopped = running.get(60, TimeUnit.SECONDS);
          assertEquals(503, stopped.statusCode(), stopped.body());
          assertEquals(
              "shutting_down", json(stopped.body()).getJsonObject("error").getString("code"));
        } catch (java.util.concurrent.ExecutionException closed) {
          assertTrue(closed.getCause() instanceof IOException, closed.toString());
        }
        assertTrue(a.process.waitFor(90, TimeUnit.SECONDS), "A stopped");
        // (A's log handlers are closed by then: the ledger says what happened)
        assertEquals(0, queryLong(db, "SELECT count(*) FROM reservation_lease"), "all settled");
        assertEquals(
            1,
            queryLong(
                db,
                "SELECT count(*) FROM usage_ledger WHERE outcome = 'CANCELLED' AND compute_units"
                    + " > 0"),
            "settled with the steps that ran");
        // (the JVM's own shutdown closes its log handlers, so the table says it, not the log)
        assertFalse(
            holderNow(db).map(holderA::equals).orElse(false),
            () ->
                "A gave the lease up on the way out instead of leaving it to expire"
                    + tail(logA, 60));
        awaitLog(logB, "now sweeps", Duration.ofSeconds(30));
        String holderB = holder(db);
        assertFalse(holderB.equals(holderA));
        assertTrue(lines(logB).anyMatch(l -> l.contains("retention: " + holderB + " now sweeps")));
      } finally {
        admins.shutdownNow();
        a.kill();
        if (b != null) {
          b.kill();
        }
      }
    }
  }

  /**
   * Issue #16, item 4: platform A's JVM is killed (SIGKILL) in the middle of a tenant's request;
   * the tenant, limited to one request at a time, is locked out by the reservation A left open
   * until its lease ends; then platform B's sweep settles it as EXPIRED with the usage A last
   * recorded, the books balance, and the tenant calls again through B.
   */
  @Test
  void aReservationLeftOpenByAKilledJvmExpiresAndTheTenantCallsAgain() throws Exception {
    try (EmbeddedDatabase db = EmbeddedDatabase.start(temp.resolve("pg"), DB_PORT, false)) {
      String url = db.databaseUrl();
      Path zoo = ZOO_MODEL.getParent();
      Map<String, String> fast =
          Map.of(
              "LLADA_REQUEST_TIMEOUT_SECONDS", "30",
              "LLADA_RESERVATIONS_LEASE_SECONDS", "40",
              "LLADA_RESERVATIONS_PROGRESS_SECONDS", "1",
              "LLADA_RETENTION_SWEEP_SECONDS", "2");
      PlatformLauncherIT.Launched a = launch("a", PORT_A, zoo, url, fast);
      PlatformLauncherIT.Launched b = null;
      try {
        a.awaitLine("is ready in", Duration.ofSeconds(240));
        assertEquals(
            201,
            post(
                    PORT_A,
                    "/v1/admin/tenants",
                    MASTER,
                    "{\"slug\":\"crash\",\"display_name\":"
                        + "\"Crash\",\"entitlements\":[\"INSTRUCT\"],\"limits\":{\"max_concurrent\":1}}")
                .statusCode());
        String key =
            json(post(PORT_A, "/v1/admin/tenants/crash/keys", MASTER, "{\"name\":\"k\"}").body())
                .getString("secret");
        // a long stream: 4,000 reference steps; A dies after it has run a while
        java.net.http.HttpResponse<java.util.stream.Stream<String>> stream =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT_A + "/v1/completions"))
                    .header("Authorization", "Bearer " + key)
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\""
                                + MODEL
                                + "\",\"prompt\":\"sort 1:\",\"gen_length\":100,"
                                + "\"steps\":4000,\"sampler\":\"reference\",\"stream\":true}"))
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, stream.statusCode());
        java.util.Iterator<String> lines = stream.body().iterator();
        for (int events = 0; events < 20 && lines.hasNext(); ) {
          if (lines.next().startsWith(":")) {
            events++;
          }
        }
        Thread.sleep(2_500); // A records the request's progress into its lease every second
        a.process.descendants().forEach(ProcessHandle::destroyForcibly);
        a.process.destroyForcibly();
        assertTrue(a.process.waitFor(30, TimeUnit.SECONDS), "A is gone");
        assertEquals(1, queryLong(db, "SELECT count(*) FROM reservation_lease"), "left open");
        assertTrue(
            queryLong(db, "SELECT compute_units FROM reservation_lease") > 0,
            "A recorded what ran before it died");
        b = launch("b", PORT_B, zoo, url, fast);
        b.awaitLine("is ready in", Duration.ofSeconds(240));
        String chat =
            "{\"model\":\"" + MODEL + "\",\"prompt\":\"sort 21:\",\"max_tokens\":8,\"steps\":8}";
        int status = post(PORT_B, "/v1/completions", key, chat).statusCode();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (status == 429 && System.nanoTime() < deadline) { // locked out until the lease ends
          Thread.sleep(500);
          status = post(PORT_B, "/v1/completions", key, chat).statusCode();
        }
        assertEquals(200, status, "the tenant calls again once the lease has expired");
        assertEquals(
            1, queryLong(db, "SELECT count(*) FROM usage_ledger WHERE outcome = 'EXPIRED'"));
        long reserved =
            queryLong(
                db,
                "SELECT r.compute_units FROM usage_ledger r JOIN usage_ledger s ON s.request_id ="
                    + " r.request_id AND s.outcome = 'EXPIRED' WHERE r.entry = 'RESERVE'");
        long charged =
            queryLong(db, "SELECT compute_units FROM usage_ledger WHERE outcome = 'EXPIRED'");
        assertTrue(charged > 0 && charged < reserved, charged + " of " + reserved);
        assertEquals(0, queryLong(db, "SELECT count(*) FROM reservation_lease"));
        HttpResponse<String> drift =
            HTTP.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + PORT_B + "/v1/admin/tenants/crash/usage/drift"))
                    .header("Authorization", "Bearer " + MASTER)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(json(drift.body()).getBoolean("consistent"), drift.body());
      } finally {
        a.kill();
        if (b != null) {
          b.kill();
        }
      }
    }
  }

  static HttpResponse<String> post(int port, String path, String key, String json)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .timeout(Duration.ofSeconds(60))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonObject json(String body) {
    try (var reader = Json.createReader(new StringReader(body))) {
      return reader.readObject();
    }
  }

  static long queryLong(EmbeddedDatabase db, String sql) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getLong(1);
    }
  }

  /**
   * A model directory with the zoo model's weights and tokenizer (links, not copies) and its
   * config.json followed by {@code variant} spaces: the same model, a digest of its own.
   */
  private static void variant(Path dir, int variant) throws IOException {
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(ZOO_MODEL)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (name.equals("config.json")) {
          Files.writeString(dir.resolve(name), Files.readString(f) + " ".repeat(variant));
        } else {
          Files.createSymbolicLink(dir.resolve(name), f);
        }
      }
    }
  }

  /** Registers copy {@code n} under the zoo's name through A's admin API; "status body". */
  private String register(int n) throws Exception {
    Path dir = temp.resolve("copies").resolve(Integer.toString(n));
    variant(dir, n + 1); // 1 is B's zoo
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORT_A + "/v1/admin/models"))
                .header("Authorization", "Bearer " + MASTER)
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        Json.createObjectBuilder()
                            .add("name", MODEL)
                            .add("variant", "INSTRUCT")
                            .add("path", dir.toString())
                            .build()
                            .toString()))
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body();
  }

  private static List<JsonObject> versions() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + PORT_A + "/v1/admin/models/" + MODEL + "/versions"))
                .header("Authorization", "Bearer " + MASTER)
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    try (var reader = Json.createReader(new StringReader(r.body()))) {
      return reader.readObject().getJsonArray("data").stream()
          .map(JsonValue::asJsonObject)
          .toList();
    }
  }

  private static java.util.Optional<String> holderNow(EmbeddedDatabase db) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT holder FROM lease WHERE name = 'retention-sweeper'")) {
      return rs.next() ? java.util.Optional.of(rs.getString(1)) : java.util.Optional.empty();
    }
  }

  private static String holder(EmbeddedDatabase db) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT holder FROM lease WHERE name = 'retention-sweeper'")) {
      assertTrue(rs.next(), "the sweeper's lease exists");
      return rs.getString(1);
    }
  }

  /** The log's lines so far; leniently decoded, since its last line may be half written. */
  private static Stream<String> lines(Path log) throws IOException {
    return Files.exists(log)
        ? new String(Files.readAllBytes(log), java.nio.charset.StandardCharsets.UTF_8).lines()
        : Stream.empty();
  }

  private static String tail(Path log, int n) {
    try {
      List<String> all = lines(log).toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static long count(Path log, String text) throws IOException {
    return lines(log).filter(l -> l.contains(text)).count();
  }

  private static void awaitLog(Path log, String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(log, text) == 0) {
      assertTrue(System.nanoTime() < deadline, "no '" + text + "' in " + log + " after " + timeout);
      Thread.sleep(50);
    }
  }

  private PlatformLauncherIT.Launched launch(String name, int port, Path zoo, String databaseUrl)
      throws IOException {
    return launch(name, port, zoo, databaseUrl, Map.of());
  }

  private PlatformLauncherIT.Launched launch(
      String name, int port, Path zoo, String databaseUrl, Map<String, String> extra)
      throws IOException {
    return platform(temp, name, port, zoo, databaseUrl, extra);
  }

  /**
   * A platform launcher process under {@code home} (its data in {@code var-name}), on {@code port},
   * with the zoo {@code zoo}, the database {@code databaseUrl} and the settings {@code extra}.
   */
  static PlatformLauncherIT.Launched platform(
      Path home, String name, int port, Path zoo, String databaseUrl, Map<String, String> extra)
      throws IOException {
    Path temp = home;
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx128m",
            "-Dllada.runtime=" + RUNTIME,
            "-Dllada.home=" + temp,
            "-cp",
            RUNTIME.resolve("lib") + "/*",
            PlatformLauncher.class.getName());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("LLADA_") || k.startsWith("DATABASE_"));
    env.put("LLADA_HTTP_PORT", Integer.toString(port));
    env.put("LLADA_DATA_DIR", temp.resolve("var-" + name).toString());
    env.put("DATABASE_URL", databaseUrl);
    env.put("LLADA_MASTER_KEY", MASTER);
    env.put("LLADA_MODELS_DIR", zoo.toString());
    env.put("LLADA_RETENTION_SWEEP_SECONDS", "5"); // a 10 s lease: a slow moment is no handover
    env.put("LLADA_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    env.putAll(extra);
    return new PlatformLauncherIT.Launched(builder.start());
  }
}

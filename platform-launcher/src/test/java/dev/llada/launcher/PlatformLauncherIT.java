package dev.llada.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.db.EmbeddedDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/platform}'s launcher as a user runs it: a separate process that must come up, serve,
 * and on Ctrl-C leave no process behind while keeping the data; and that refuses bad setups with
 * one readable line.
 */
class PlatformLauncherIT {

  private static final Path RUNTIME =
      Path.of(System.getProperty("llada.runtime", "target/runtime")).toAbsolutePath();
  private static final int HTTP_PORT = Integer.getInteger("it.http.port", 18091);
  private static final int DB_PORT = Integer.getInteger("it.db.port", 18434);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path temp;

  @Test
  void startsWithTheEmbeddedDatabaseServesAndStopsCleanlyOnCtrlC() throws Exception {
    Path data = temp.resolve("var");
    Launched launched = launch(Map.of("LLADA_DATA_DIR", data.toString()));
    try {
      launched.awaitLine("is ready in", Duration.ofSeconds(240));
      // the lines after "is ready in" may not have been read yet: wait for them too
      launched.awaitLine(
          "  API       http://127.0.0.1:" + HTTP_PORT + "/v1/models", Duration.ofSeconds(10));

      assertEquals(401, get("/v1/models", null).statusCode(), "the API wants a key");
      Path keyFile = data.resolve("master-key");
      assertEquals(
          "rw-------",
          java.nio.file.attribute.PosixFilePermissions.toString(
              Files.getPosixFilePermissions(keyFile)));
      String master = Files.readString(keyFile).strip();
      assertTrue(launched.output().contains("Admin key in " + keyFile), launched.output());
      assertFalse(launched.output().contains(master), "the key itself is never printed");
      HttpResponse<String> models = get("/v1/models", master);
      assertEquals(200, models.statusCode(), models.body());
      assertTrue(models.body().contains("\"id\":\"llada-8b-instruct\""), models.body());
      // the in-process worker runs the zoo model: DJL is on Payara's class path (--addlibs)
      assertEquals(
          201,
          post(
                  "/v1/admin/tenants",
                  master,
                  "{\"slug\":\"t\",\"display_name\":\"T\",\"entitlements\":[\"INSTRUCT\"]}")
              .statusCode());
      String key =
          post("/v1/admin/tenants/t/keys", master, "{\"name\":\"k\"}")
              .body()
              .replaceAll(".*\"secret\":\"([^\"]+)\".*", "$1");
      HttpResponse<String> chat =
          post(
              "/v1/chat/completions",
              key,
              "{\"model\":\"llada-tiny-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"sort 21:\"}],\"max_tokens\":4,\"steps\":4}");
      assertEquals(200, chat.statusCode(), chat.body());
      assertTrue(chat.body().contains("\"chat.completion\""), chat.body());
      assertEquals(200, get("/health/ready").statusCode());
      assertLoopbackOnly();

      Set<Long> pids = new HashSet<>(launched.descendants());
      pids.addAll(processesMentioning(data.toString()));
      assertTrue(pids.size() >= 2, "Payara and PostgreSQL processes found: " + pids);

      launched.interrupt(); // what Ctrl-C does to the launcher
      assertTrue(launched.process.waitFor(90, TimeUnit.SECONDS), "launcher stops on Ctrl-C");
      assertTrue(launched.output().contains("LLaDA Platform stopped."), launched.output());
      assertEquals(List.of(), describe(pids), "no orphan processes");
      assertEquals(
          List.of(),
          describe(new HashSet<>(processesMentioning(data.toString()))),
          "no orphan processes");
      assertTrue(Files.exists(data.resolve("postgres/PG_VERSION")), "data directory kept");
    } finally {
      launched.kill();
    }
  }

  @Test
  void usesTheConfiguredDatabaseWhenDatabaseUrlIsSet() throws Exception {
    Path data = temp.resolve("var");
    try (EmbeddedDatabase external =
        EmbeddedDatabase.start(temp.resolve("external-pg"), DB_PORT, false)) {
      Launched launched =
          launch(
              Map.of(
                  "LLADA_DATA_DIR",
                  data.toString(),
                  "DATABASE_URL",
                  external.databaseUrl(),
                  "LLADA_MASTER_KEY",
                  "configured-master-key-42"));
      try {
        launched.awaitLine("is ready in", Duration.ofSeconds(240));
        assertTrue(launched.output().contains("Using the configured database"), launched.output());
        assertEquals(200, get("/v1/models", "configured-master-key-42").statusCode());
        assertFalse(Files.exists(data.resolve("postgres")), "no embedded database was created");
        try (Connection c = external.dataSource().getConnection();
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM model_variant")) {
          rs.next();
          assertEquals(5, rs.getInt(1), "the platform migrated the configured database");
        }
        launched.terminate();
        assertTrue(launched.process.waitFor(90, TimeUnit.SECONDS));
      } finally {
        launched.kill();
      }
    }
  }

  @Test
  void aBusyPortIsOneClearLine() throws Exception {
    try (ServerSocket busy = new ServerSocket(HTTP_PORT, 1, InetAddress.getByName("127.0.0.1"))) {
      Launched launched = launch(Map.of("LLADA_DATA_DIR", temp.resolve("var").toString()));
      assertFailsWith(launched, 2, "port " + HTTP_PORT + " on 127.0.0.1 is already in use");
    }
  }

  @Test
  void anUnreachableConfiguredDatabaseIsOneClearLine() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closed = s.getLocalPort();
    }
    Launched launched =
        launch(
            Map.of(
                "LLADA_DATA_DIR",
                temp.resolve("var").toString(),
                "DATABASE_URL",
                "postgresql://app:secret@127.0.0.1:" + closed + "/app"));
    String out =
        assertFailsWith(launched, 1, "cannot use the configured database at 127.0.0.1:" + closed);
    assertFalse(out.contains("secret"), "never echo the password: " + out);
  }

  @Test
  void badOptionsAreOneClearLine() throws Exception {
    assertFailsWith(
        launch(Map.of("DATABASE_URL", "mysql://h/d", "LLADA_DATA_DIR", temp.toString())),
        2,
        "DATABASE_URL must be a PostgreSQL URL");
    assertFailsWith(
        launch(Map.of("LLADA_DATA_DIR", temp.toString()), "--port", "eighty"),
        2,
        "must be a number from 1 to 65535");
    assertFailsWith(launch(Map.of(), "--frobnicate"), 2, "unknown option '--frobnicate'");
    assertFailsWith(
        launch(Map.of("LLADA_WORKER_MEMORY", "lots")),
        2,
        "LLADA_WORKER_MEMORY must be a size such as 8g");
    assertFailsWith(
        launch(Map.of("LLADA_DEVICES", "tpu0")),
        2,
        "LLADA_DEVICES must list devices such as cpu, cpu:2 or gpu0,gpu1");
    assertFailsWith(
        launch(Map.of("LLADA_DEVICES", "cpu:2,cpu")),
        2,
        "(each once, 1 to 64 slots), got 'cpu:2,cpu'");
    assertFailsWith(
        launch(Map.of("LLADA_WORKER_MAX_BATCH", "0")),
        2,
        "LLADA_WORKER_MAX_BATCH must be a number from 1 to 4096, got '0'");
    Path precious = temp.resolve("precious");
    Files.createDirectories(precious);
    Files.writeString(precious.resolve("thesis.txt"), "do not delete");
    assertFailsWith(
        launch(Map.of("LLADA_DATA_DIR", precious.toString()), "--reset"),
        2,
        "--reset refuses to delete");
    assertTrue(Files.exists(precious.resolve("thesis.txt")), "nothing was deleted");
  }

  // --- helpers -------------------------------------------------------------------------------

  private static String assertFailsWith(Launched launched, int exitCode, String message)
      throws Exception {
    try {
      assertTrue(launched.process.waitFor(60, TimeUnit.SECONDS), "launcher gives up quickly");
      launched.drain();
      String out = launched.output();
      assertEquals(exitCode, launched.process.exitValue(), out);
      assertTrue(out.startsWith("bin/platform: "), out);
      assertTrue(out.contains(message), out);
      assertFalse(out.contains("Exception"), "no stack trace: " + out);
      assertFalse(out.contains("\tat "), "no stack trace: " + out);
      return out;
    } finally {
      launched.kill();
    }
  }

  private static void assertLoopbackOnly() throws IOException {
    List<String> wide = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        String[] local = f[1].split(":");
        int port = Integer.parseInt(local[1], 16);
        boolean listening = f[3].equals("0A");
        boolean any = local[0].matches("0+");
        if (listening && (port == HTTP_PORT || (port >= 6900 && port < 6910)) && any) {
          wide.add(line.trim());
        }
      }
    }
    assertEquals(List.of(), wide, "HTTP and Hazelcast must not listen on all interfaces");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return get(path, null);
  }

  private static HttpResponse<String> get(String path, String key) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + path))
            .timeout(Duration.ofSeconds(30));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String key, String json) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + HTTP_PORT + path))
            .timeout(Duration.ofSeconds(120))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * The processes among {@code pids} still running, with their state and command line. A zombie has
   * exited already (it only waits for PID 1, which reaps lazily in some sandboxes).
   */
  private static List<String> describe(Set<Long> pids) {
    List<String> alive = new ArrayList<>();
    for (long pid : pids) {
      Path proc = Path.of("/proc", Long.toString(pid));
      try {
        String status =
            Files.readAllLines(proc.resolve("status")).stream()
                .filter(l -> l.startsWith("State:") || l.startsWith("PPid:"))
                .collect(Collectors.joining(" "));
        String cmdline =
            new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                .replace('\0', ' ');
        if (!status.contains("(zombie)")) { // exited; waiting for PID 1 to reap it
          alive.add(pid + " " + status + " " + cmdline);
        }
      } catch (IOException gone) {
        // not alive
      }
    }
    return alive;
  }

  /** PIDs whose command line mentions {@code text} (our data directory). */
  private static List<Long> processesMentioning(String text) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmdline =
              new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
          long pid = Long.parseLong(proc.getFileName().toString());
          if (cmdline.contains(text) && pid != ProcessHandle.current().pid()) {
            pids.add(pid);
          }
        } catch (IOException vanished) {
          // the process ended while we looked
        }
      }
    }
    return pids;
  }

  private Launched launch(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-Xmx128m",
            "-Dllada.runtime=" + RUNTIME,
            "-Dllada.home=" + temp,
            "-cp",
            RUNTIME.resolve("lib") + "/*",
            PlatformLauncher.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("LLADA_") || k.startsWith("DATABASE_"));
    builder.environment().put("LLADA_HTTP_PORT", Integer.toString(HTTP_PORT));
    builder.environment().put("LLADA_EMBEDDED_DB_PORT", Integer.toString(DB_PORT));
    builder
        .environment()
        .put("LLADA_MODELS_DIR", Path.of("..", "models").toAbsolutePath().normalize().toString());
    builder
        .environment()
        .put("LLADA_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    builder.environment().putAll(env);
    return new Launched(builder.start());
  }

  /** A launcher process and everything it printed. */
  static final class Launched {
    final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    Launched(Process process) {
      this.process = process;
      this.reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // process gone
                }
              });
      reader.setDaemon(true);
      reader.start();
    }

    String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    void drain() throws InterruptedException {
      reader.join(5000);
    }

    void awaitLine(String text, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (output().contains(text)) {
          return;
        }
        if (!process.isAlive()) {
          drain();
          throw new AssertionError("launcher exited early:\n" + output());
        }
        Thread.sleep(200);
      }
      throw new AssertionError("no '" + text + "' after " + timeout + ":\n" + output());
    }

    List<Long> descendants() {
      return process.descendants().map(ProcessHandle::pid).collect(Collectors.toList());
    }

    /**
     * SIGINT, as Ctrl-C sends it. Where this JVM was started with SIGINT ignored (a background job
     * of a non-interactive shell), the launcher inherits that and only SIGTERM can reach it; both
     * run the same shutdown path.
     */
    void interrupt() throws IOException, InterruptedException {
      String signal = sigintIgnored() ? "-TERM" : "-INT";
      new ProcessBuilder("kill", signal, Long.toString(process.pid()))
          .inheritIO()
          .start()
          .waitFor();
    }

    void terminate() {
      process.destroy();
    }

    void kill() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }

    private static boolean sigintIgnored() throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) {
          long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
          return (mask & 0b10) != 0; // bit of signal 2
        }
      }
      return false;
    }
  }
}

package dev.llada.launcher;

import dev.llada.db.DatabaseSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Payara Micro with the platform WAR, in a child JVM whose output goes to a log file. */
final class PayaraProcess {

  private final Process process;
  private final Path logFile;

  private PayaraProcess(Process process, Path logFile) {
    this.process = process;
    this.logFile = logFile;
  }

  static PayaraProcess start(
      Path microJar,
      Path war,
      LauncherOptions options,
      DatabaseSettings database,
      String masterKey,
      Path logFile)
      throws LaunchException {
    try {
      Path data = options.dataDirectory();
      Path tmp = Files.createDirectories(data.resolve("tmp"));
      Files.createDirectories(logFile.getParent());
      Path preboot = writePreboot(data.resolve("run/preboot.asadmin"), options.httpAddress());

      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(options.payaraJvmOptions());
      command.add("-Djava.io.tmpdir=" + tmp);
      command.add("-Dai.djl.offline=true");
      command.add("-Dai.djl.pytorch.num_threads=1"); // with OMP_NUM_THREADS=1 (djl-payara §5)
      command.addAll(
          List.of(
              "-jar",
              microJar.toString(),
              "--deploy",
              war.toString(),
              "--port",
              Integer.toString(options.httpPort()),
              "--nocluster",
              "--disablephonehome",
              "--prebootcommandfile",
              preboot.toString()));
      // DJL on the server class path, never in WEB-INF/lib (stack-djl-payara.md pitfall 1)
      Path djlLibs = microJar.resolveSibling("djl-libs");
      if (Files.isDirectory(djlLibs)) {
        command.addAll(List.of("--addlibs", djlLibs.toString()));
      }
      ProcessBuilder builder = new ProcessBuilder(command);
      Map<String, String> env = builder.environment();
      // read by the WAR's @DataSourceDefinition through MicroProfile Config; env, not -D, so the
      // password never shows in `ps`
      env.put("LLADA_DB_URL", database.jdbcUrl());
      env.put("LLADA_DB_USER", database.user());
      env.put("LLADA_DB_PASSWORD", database.password().isEmpty() ? "unused" : database.password());
      env.putIfAbsent("OMP_NUM_THREADS", "1");
      env.put("LLADA_MODELS_DIR", options.modelsDirectory().toString()); // the zoo registers itself
      env.put("LLADA_MASTER_KEY", masterKey);
      builder.redirectErrorStream(true);
      builder.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      return new PayaraProcess(builder.start(), logFile);
    } catch (IOException e) {
      throw new LaunchException(
          LaunchException.FAILURE, "could not start Payara Micro: " + e.getMessage());
    }
  }

  /**
   * Payara's pre-boot commands: the WAR module's {@code preboot.asadmin} (HTTP on one address,
   * Hazelcast off, the connector limits of the edge), with the listener bound to {@code address}.
   */
  private static Path writePreboot(Path file, String address) throws IOException {
    String commands;
    try (var in = PayaraProcess.class.getResourceAsStream("preboot.asadmin")) {
      if (in == null) {
        throw new IOException("preboot.asadmin is missing from the launcher jar");
      }
      commands = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String listener = "network-listener.http-listener.address=";
    int at = commands.indexOf(listener);
    int end = commands.indexOf('\n', at);
    if (at < 0 || end < 0) {
      throw new IOException("preboot.asadmin does not set the http-listener address");
    }
    commands = commands.substring(0, at + listener.length()) + address + commands.substring(end);
    Files.createDirectories(file.getParent());
    Files.writeString(file, commands, StandardCharsets.UTF_8);
    return file;
  }

  /** Polls {@code url} until it answers 200, Payara dies, or the timeout passes. */
  void awaitReady(String url, Duration timeout) throws LaunchException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new LaunchException(
            LaunchException.FAILURE,
            "Payara Micro exited during startup (exit code "
                + process.exitValue()
                + "); see "
                + logFile
                + ":\n  "
                + String.join("\n  ", tail(20)));
      }
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
        last = "HTTP " + response.statusCode() + " " + response.body();
      } catch (IOException e) {
        last = e.getClass().getSimpleName();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new LaunchException(LaunchException.FAILURE, "interrupted while starting");
      }
      sleep(250);
    }
    throw new LaunchException(
        LaunchException.FAILURE,
        "the platform was not ready after "
            + timeout.toSeconds()
            + " s (last answer from "
            + url
            + ": "
            + last
            + "); see "
            + logFile);
  }

  int waitFor() {
    while (true) {
      try {
        return process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
  }

  /** SIGTERM (Payara shuts down cleanly), then SIGKILL after {@code grace}. */
  void stop(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  Path logFile() {
    return logFile;
  }

  /** The last {@code n} lines of Payara's log. */
  List<String> tail(int n) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return lines.subList(Math.max(0, lines.size() - n), lines.size());
    } catch (IOException e) {
      return List.of("(log unreadable: " + e.getMessage() + ")");
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

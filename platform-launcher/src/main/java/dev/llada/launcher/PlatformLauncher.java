package dev.llada.launcher;

import dev.llada.db.DatabaseProbe;
import dev.llada.db.DatabaseSettings;
import dev.llada.db.DatabaseUnreachableException;
import dev.llada.db.EmbeddedDatabase;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Runs the whole platform on one machine: {@code bin/platform}.
 *
 * <p>Order on the way up: check the ports, the database (configured or embedded), then Payara Micro
 * in a child JVM; readiness is {@code /health/ready} answering 200, which the application only does
 * once its migrations ran. On the way down (Ctrl-C, SIGTERM, or Payara dying) the order is
 * reversed: Payara first, so no request is cut off from its database, then PostgreSQL.
 */
public final class PlatformLauncher {

  /** Keeps the embedded server's chatter out of the terminal (strong reference for JUL). */
  private static final Logger ZONKY_LOG = Logger.getLogger("io.zonky");

  private final LauncherOptions options;
  private final PrintStream out;
  private volatile EmbeddedDatabase embedded;
  private volatile PayaraProcess payara;
  private volatile boolean stopping;

  PlatformLauncher(LauncherOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) {
    ZONKY_LOG.setLevel(Level.OFF); // failures surface as exceptions, reported by us
    Path home = Path.of(System.getProperty("llada.home", ".")).toAbsolutePath().normalize();
    int exit;
    try {
      Optional<LauncherOptions> options = LauncherOptions.parse(args, System.getenv(), home);
      if (options.isEmpty()) {
        System.out.print(LauncherOptions.USAGE);
        return;
      }
      exit = new PlatformLauncher(options.get(), System.out).run();
    } catch (LaunchException e) {
      System.err.println("bin/platform: " + e.getMessage());
      exit = e.exitCode();
    }
    System.exit(exit);
  }

  private MasterKey masterKey;

  /** Starts everything, blocks until Payara ends, returns the exit code. */
  int run() throws LaunchException {
    long started = System.nanoTime();
    Path war = requireFile(options.runtimeDirectory().resolve("platform-api.war"));
    Path microJar = requireFile(options.runtimeDirectory().resolve("payara-micro.jar"));
    requireFreePort(options.httpAddress(), options.httpPort(), "--port N (or LLADA_HTTP_PORT)");
    if (options.reset()) {
      reset();
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "platform-stop"));

    DatabaseSettings database = startDatabase();
    masterKey = MasterKey.resolve(System.getenv("LLADA_MASTER_KEY"), options.dataDirectory());
    payara =
        PayaraProcess.start(
            microJar,
            war,
            options,
            database,
            masterKey.value(),
            options.dataDirectory().resolve("log/payara.log"));
    out.println("Starting Payara Micro (log: " + payara.logFile() + ") ...");
    try {
      payara.awaitReady(options.localBaseUrl() + "/health/ready", options.readyTimeout());
    } catch (LaunchException e) {
      if (stopping) {
        return 130; // Ctrl-C during startup: not a failure to report
      }
      throw e;
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    printReady(seconds, database);

    int code = payara.waitFor();
    if (!stopping) {
      System.err.println(
          "bin/platform: Payara Micro exited on its own (exit code " + code + "); last log lines:");
      payara.tail(30).forEach(line -> System.err.println("  " + line));
      stop();
      return LaunchException.FAILURE;
    }
    return 0;
  }

  private DatabaseSettings startDatabase() throws LaunchException {
    if (options.database().isPresent()) {
      DatabaseSettings configured = options.database().get();
      try {
        DatabaseProbe.checkReachable(configured, Duration.ofSeconds(5));
      } catch (DatabaseUnreachableException e) {
        throw new LaunchException(
            LaunchException.FAILURE,
            e.getMessage() + ". Check DATABASE_URL, or unset it to use the embedded PostgreSQL.");
      }
      out.println("Using the configured database " + configured.redactedUrl());
      return configured;
    }
    requireFreePort(
        "127.0.0.1", options.embeddedDbPort(), "another LLADA_EMBEDDED_DB_PORT for the database");
    Path data = options.dataDirectory().resolve("postgres");
    out.println("Starting the embedded PostgreSQL (data: " + data + ") ...");
    try {
      embedded = EmbeddedDatabase.start(data, options.embeddedDbPort(), true);
    } catch (IOException | RuntimeException e) {
      throw new LaunchException(
          LaunchException.FAILURE,
          "could not start the embedded PostgreSQL in "
              + data
              + ": "
              + DatabaseProbe.rootMessage(e)
              + (DatabaseProbe.rootMessage(e).contains("lock")
                  ? " (is another bin/platform using this data directory?)"
                  : ""));
    }
    return embedded.settings();
  }

  /** Stops Payara, then the embedded database. Idempotent; runs from the shutdown hook. */
  synchronized void stop() {
    if (stopping && payara == null && embedded == null) {
      return;
    }
    stopping = true;
    PayaraProcess p = payara;
    if (p != null) {
      p.stop(Duration.ofSeconds(30));
      payara = null;
    }
    EmbeddedDatabase db = embedded;
    if (db != null) {
      try {
        db.close();
      } catch (IOException | RuntimeException e) {
        System.err.println(
            "bin/platform: stopping the embedded PostgreSQL: " + DatabaseProbe.rootMessage(e));
      }
      embedded = null;
    }
    out.println("LLaDA Platform stopped.");
    out.flush();
  }

  private void printReady(double seconds, DatabaseSettings database) {
    String base = options.localBaseUrl();
    out.printf("%nLLaDA Platform is ready in %.1f s%n", seconds);
    out.println("  API       " + base + "/v1/models");
    out.println("  OpenAPI   " + base + "/openapi");
    out.println("  Health    " + base + "/health/ready");
    out.println("  Console   " + base + "/console/");
    out.println(
        "  Database  "
            + (embedded != null
                ? "embedded PostgreSQL on 127.0.0.1:"
                    + embedded.port()
                    + " (data kept in "
                    + embedded.dataDirectory()
                    + ")"
                : database.redactedUrl()));
    out.println("  Admin key " + masterKey.describe());
    out.println("  Log       " + payara.logFile());
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  private void reset() throws LaunchException {
    Path data = options.dataDirectory();
    if (!Files.exists(data)) {
      return;
    }
    if (!Files.exists(data.resolve("postgres")) && !Files.exists(data.resolve("log"))) {
      throw new LaunchException(
          LaunchException.USAGE,
          "--reset refuses to delete "
              + data
              + ": it does not look like a platform data directory");
    }
    try (Stream<Path> walk = Files.walk(data)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new LaunchException(
          LaunchException.FAILURE, "--reset could not delete " + data + ": " + e);
    }
    out.println("Reset: deleted " + data);
  }

  private static Path requireFile(Path file) throws LaunchException {
    if (!Files.isRegularFile(file)) {
      throw new LaunchException(
          LaunchException.USAGE,
          file + " is missing; build the platform first (mvn -DskipTests package)");
    }
    return file;
  }

  static void requireFreePort(String address, int port, String alternative) throws LaunchException {
    InetAddress inet;
    try {
      inet = InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new LaunchException(
          LaunchException.USAGE, "cannot bind to '" + address + "': unknown address");
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(inet, port));
    } catch (BindException e) {
      throw new LaunchException(
          LaunchException.USAGE,
          "port "
              + port
              + " on "
              + address
              + " is already in use; stop whatever listens there, or choose "
              + alternative);
    } catch (IOException e) {
      throw new LaunchException(
          LaunchException.USAGE, "cannot bind to " + address + ":" + port + ": " + e.getMessage());
    }
  }
}

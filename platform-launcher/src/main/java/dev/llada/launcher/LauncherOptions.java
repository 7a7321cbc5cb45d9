package dev.llada.launcher;

import dev.llada.db.DatabaseSettings;
import dev.llada.db.InvalidDatabaseUrlException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What to start, from the command line and the environment (command-line flags win).
 *
 * @param httpAddress interface the API binds to ({@code LLADA_HTTP_ADDRESS}, default 127.0.0.1)
 * @param httpPort API port ({@code --port}, {@code LLADA_HTTP_PORT}, default 8080)
 * @param dataDirectory where the embedded database, logs and temporary files live ({@code
 *     LLADA_DATA_DIR}, default {@code var/} in the project)
 * @param embeddedDbPort port of the embedded PostgreSQL ({@code LLADA_EMBEDDED_DB_PORT}, default
 *     15432)
 * @param database the configured database ({@code DATABASE_URL}), or empty for the embedded one
 * @param reset wipe the data directory first ({@code --reset})
 * @param payaraJvmOptions options for the Payara JVM ({@code LLADA_JAVA_OPTS})
 * @param readyTimeout how long to wait for readiness ({@code LLADA_READY_TIMEOUT} seconds, default
 *     180)
 * @param runtimeDirectory holds {@code payara-micro.jar} and {@code platform-api.war}
 * @param modelsDirectory model directories registered at first start ({@code LLADA_MODELS_DIR},
 *     default {@code models/} in the project)
 */
record LauncherOptions(
    String httpAddress,
    int httpPort,
    Path dataDirectory,
    int embeddedDbPort,
    Optional<DatabaseSettings> database,
    boolean reset,
    List<String> payaraJvmOptions,
    Duration readyTimeout,
    Path runtimeDirectory,
    Path modelsDirectory) {

  static final String USAGE =
      """
      Usage: bin/platform [--port N] [--address ADDR] [--reset] [--help]

        Starts the LLaDA Platform: PostgreSQL (embedded unless DATABASE_URL is set), then Payara Micro
        with the platform, and waits until it is ready. Ctrl-C stops everything; the data stays.

        --port N        HTTP port (default 8080; env LLADA_HTTP_PORT)
        --address ADDR  interface to bind (default 127.0.0.1; env LLADA_HTTP_ADDRESS)
        --reset         delete the data directory (embedded database, logs) before starting
        --help          print this text

      Environment: DATABASE_URL, DATABASE_USER, DATABASE_PASSWORD, LLADA_DATA_DIR,
        LLADA_EMBEDDED_DB_PORT, LLADA_MODELS_DIR, LLADA_JAVA_OPTS, LLADA_READY_TIMEOUT (see README.md).
      """;

  static final String DEFAULT_JAVA_OPTS = "-Xms256m -Xmx1g -XX:+UseSerialGC";

  /**
   * Parses options.
   *
   * @return empty when {@code --help} was asked for
   */
  static Optional<LauncherOptions> parse(String[] args, Map<String, String> env, Path home)
      throws LaunchException {
    String address = env.getOrDefault("LLADA_HTTP_ADDRESS", "127.0.0.1");
    String port = env.getOrDefault("LLADA_HTTP_PORT", "8080");
    boolean reset = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h" -> {
          return Optional.empty();
        }
        case "--reset" -> reset = true;
        case "--port" -> port = value(args, ++i, "--port");
        case "--address" -> address = value(args, ++i, "--address");
        default -> {
          if (args[i].startsWith("--port=")) {
            port = args[i].substring("--port=".length());
          } else if (args[i].startsWith("--address=")) {
            address = args[i].substring("--address=".length());
          } else {
            throw new LaunchException(
                LaunchException.USAGE, "unknown option '" + args[i] + "' (try --help)");
          }
        }
      }
    }
    Optional<DatabaseSettings> database;
    try {
      database = DatabaseSettings.fromEnvironment(env);
    } catch (InvalidDatabaseUrlException e) {
      throw new LaunchException(LaunchException.USAGE, e.getMessage());
    }
    Path data =
        Path.of(env.getOrDefault("LLADA_DATA_DIR", home.resolve("var").toString()))
            .toAbsolutePath()
            .normalize();
    Path runtime =
        Path.of(
                System.getProperty(
                    "llada.runtime", home.resolve("platform-launcher/target/runtime").toString()))
            .toAbsolutePath()
            .normalize();
    checkWorkerSettings(env);
    String javaOpts = env.getOrDefault("LLADA_JAVA_OPTS", DEFAULT_JAVA_OPTS).trim();
    List<String> jvm =
        new ArrayList<>(javaOpts.isEmpty() ? List.of() : List.of(javaOpts.split("\\s+")));
    return Optional.of(
        new LauncherOptions(
            address,
            number(port, "HTTP port (--port / LLADA_HTTP_PORT)", 1, 65535),
            data,
            number(
                env.getOrDefault("LLADA_EMBEDDED_DB_PORT", "15432"),
                "LLADA_EMBEDDED_DB_PORT",
                1,
                65535),
            database,
            reset,
            List.copyOf(jvm),
            Duration.ofSeconds(
                number(
                    env.getOrDefault("LLADA_READY_TIMEOUT", "180"),
                    "LLADA_READY_TIMEOUT",
                    1,
                    3600)),
            runtime,
            Path.of(env.getOrDefault("LLADA_MODELS_DIR", home.resolve("models").toString()))
                .toAbsolutePath()
                .normalize()));
  }

  /** Where a local client reaches the API (loopback when bound to all interfaces). */
  String localBaseUrl() {
    String host =
        httpAddress.equals("0.0.0.0") || httpAddress.equals("::") ? "127.0.0.1" : httpAddress;
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + httpPort;
  }

  private static String value(String[] args, int i, String flag) throws LaunchException {
    if (i >= args.length) {
      throw new LaunchException(LaunchException.USAGE, flag + " needs a value (try --help)");
    }
    return args[i];
  }

  /**
   * The in-process worker's settings, which the platform reads: checked here too, so that a typo is
   * one clear line at start rather than a platform whose first inference request fails.
   */
  private static void checkWorkerSettings(Map<String, String> env) throws LaunchException {
    String memory = env.getOrDefault("LLADA_WORKER_MEMORY", "").strip();
    java.util.regex.Matcher size =
        java.util.regex.Pattern.compile(
                "(\\d+(?:\\.\\d+)?)\\s*[kmgt]?(?:i?b)?", java.util.regex.Pattern.CASE_INSENSITIVE)
            .matcher(memory);
    if (!memory.isEmpty() && !(size.matches() && Double.parseDouble(size.group(1)) > 0)) {
      throw new LaunchException(
          LaunchException.USAGE,
          "LLADA_WORKER_MEMORY must be a size such as 8g, 512MiB or 1073741824, got '"
              + memory
              + "'");
    }
    String devices = env.getOrDefault("LLADA_DEVICES", "").strip();
    if (!devices.isEmpty()) { // each device once (gpu is gpu0), 1 to 64 slots: DevicePool's rules
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (String entry : devices.toLowerCase(java.util.Locale.ROOT).split(",", -1)) {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile(
                    "\\s*(cpu|gpu\\d{0,2})(?::([1-9]|[1-5]\\d|6[0-4]))?\\s*")
                .matcher(entry);
        if (!m.matches() || !seen.add(m.group(1).equals("gpu") ? "gpu0" : m.group(1))) {
          throw new LaunchException(
              LaunchException.USAGE,
              "LLADA_DEVICES must list devices such as cpu, cpu:2 or gpu0,gpu1 (each once, 1 to"
                  + " 64 slots), got '"
                  + devices
                  + "'");
        }
      }
    }
    if (env.containsKey("LLADA_WORKER_MAX_BATCH")) {
      number(env.get("LLADA_WORKER_MAX_BATCH"), "LLADA_WORKER_MAX_BATCH", 1, 4096);
    }
  }

  private static int number(String value, String what, int min, int max) throws LaunchException {
    try {
      int n = Integer.parseInt(value.trim());
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new LaunchException(
          LaunchException.USAGE,
          what + " must be a number from " + min + " to " + max + ", got '" + value + "'");
    }
  }
}

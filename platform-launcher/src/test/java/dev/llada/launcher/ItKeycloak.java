package dev.llada.launcher;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The real Keycloak the integration tests share: the Maven Central distribution bin/keycloak runs,
 * started once per test JVM on loopback with an in-memory store and keycloak/platform-realm.json
 * imported (its placeholders filled with secrets made here), stopped when the JVM exits.
 */
final class ItKeycloak {

  static final int PORT = Integer.getInteger("it.keycloak.port", 18180);
  static final String ISSUER = "http://127.0.0.1:" + PORT + "/realms/platform";
  static final String TOKEN_URL = ISSUER + "/protocol/openid-connect/token";

  /** The realm's placeholders: demo users' passwords and client secrets, fresh for each run. */
  static final Map<String, String> SECRETS = new LinkedHashMap<>();

  static {
    for (String user : new String[] {"OLIVIA", "VICTOR", "ALICE", "BOB", "VERA", "CAROL", "DANA"}) {
      SECRETS.put("PASSWORD_" + user, "pw-" + UUID.randomUUID());
    }
    for (String client : new String[] {"PLATFORM_API", "PLATFORM_CONSOLE", "PLATFORM_JOBS"}) {
      SECRETS.put("SECRET_" + client, "secret-" + UUID.randomUUID());
    }
  }

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static Process process;
  private static Path log;

  private ItKeycloak() {}

  /** Starts Keycloak unless it runs already; waits until the realm answers. */
  static synchronized void start() throws Exception {
    if (process != null) {
      return;
    }
    Path work = Path.of("target", "it-keycloak").toAbsolutePath();
    Path home = unpacked(work);
    Path imports = Files.createDirectories(home.resolve("data/import"));
    String realm = Files.readString(Path.of(System.getProperty("it.keycloak.realm")));
    for (var s : SECRETS.entrySet()) {
      realm = realm.replace("@@" + s.getKey() + "@@", s.getValue());
    }
    Files.writeString(imports.resolve("platform-realm.json"), realm);
    log = work.resolve("keycloak.log");
    ProcessBuilder b =
        new ProcessBuilder(
                "bash",
                home.resolve("bin/kc.sh").toString(),
                "start-dev",
                "--db",
                "dev-mem",
                "--http-host",
                "127.0.0.1",
                "--http-port",
                Integer.toString(PORT),
                "--hostname",
                "http://127.0.0.1:" + PORT,
                "--import-realm",
                "--health-enabled",
                "true",
                "--http-management-health-enabled",
                "false")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    b.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
    b.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin-" + UUID.randomUUID());
    b.environment().put("JAVA_OPTS_KC_HEAP", "-Xms64m -Xmx384m");
    b.environment()
        .put("JAVA_OPTS_APPEND", "-DCoreEnvironmentBean.socketProcessIdPort=" + (PORT + 9));
    process = b.start();
    Runtime.getRuntime().addShutdownHook(new Thread(ItKeycloak::stop));
    long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Keycloak stopped during start-up:\n" + tail());
      }
      try {
        HttpResponse<Void> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(ISSUER + "/.well-known/openid-configuration"))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // still starting
      }
      Thread.sleep(1_000);
    }
    throw new IllegalStateException("Keycloak was not ready within 300 s:\n" + tail());
  }

  /** The distribution, unpacked once under {@code work} (tar keeps kc.sh executable). */
  private static Path unpacked(Path work) throws Exception {
    Files.createDirectories(work);
    Path found = distribution(work);
    if (found == null) {
      Process tar =
          new ProcessBuilder(
                  "tar", "xzf", System.getProperty("it.keycloak.dist"), "-C", work.toString())
              .inheritIO()
              .start();
      if (tar.waitFor() != 0) {
        throw new IllegalStateException(
            "could not unpack " + System.getProperty("it.keycloak.dist"));
      }
      found = distribution(work);
    }
    return found;
  }

  private static Path distribution(Path work) throws IOException {
    try (Stream<Path> s = Files.list(work)) {
      return s.filter(p -> Files.exists(p.resolve("bin/kc.sh"))).findFirst().orElse(null);
    }
  }

  private static String tail() throws IOException {
    if (log == null || !Files.exists(log)) {
      return "(no log)";
    }
    var lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  private static synchronized void stop() {
    if (process == null) {
      return;
    }
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** A user's access token by the password grant of the {@code platform-api} client. */
  static String passwordToken(String user) throws Exception {
    return token(
        Map.of(
            "grant_type",
            "password",
            "client_id",
            "platform-api",
            "client_secret",
            SECRETS.get("SECRET_PLATFORM_API"),
            "username",
            user,
            "password",
            SECRETS.get("PASSWORD_" + user.toUpperCase())));
  }

  /** The service account's token of the {@code platform-jobs} client (client credentials). */
  static String jobsToken() throws Exception {
    return token(
        Map.of(
            "grant_type", "client_credentials",
            "client_id", "platform-jobs",
            "client_secret", SECRETS.get("SECRET_PLATFORM_JOBS")));
  }

  /** The raw answer of the token endpoint to {@code form}. */
  static HttpResponse<String> tokenResponse(Map<String, String> form) throws Exception {
    String body =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(TOKEN_URL))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String token(Map<String, String> form) throws Exception {
    HttpResponse<String> r = tokenResponse(form);
    if (r.statusCode() != 200) {
      throw new AssertionError("token endpoint: " + r.statusCode() + " " + r.body());
    }
    try (var reader = Json.createReader(new StringReader(r.body()))) {
      JsonObject o = reader.readObject();
      return o.getString("access_token");
    }
  }
}

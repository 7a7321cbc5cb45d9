package dev.llada.worker.remote;

import dev.llada.core.model.Precision;
import dev.llada.worker.ByteSize;
import dev.llada.worker.DeviceMemory;
import dev.llada.worker.DevicePool;
import dev.llada.worker.LocalWorkerPool;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerMetrics;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@code bin/worker}: a standalone inference worker (issue #21 item 1, docs/adr/0021) — the same
 * runtime as the platform's embedded worker, on this machine's devices, answering the platforms
 * that share its database and its secret. It registers in PostgreSQL, heartbeats, and on SIGTERM or
 * Ctrl-C drains (takes no new job, lets those it has finish within the grace), then deregisters.
 * Settings come from the environment; a bad one is named in one line and the exit status is 2.
 */
public final class WorkerMain {

  private static final Logger LOG = Logger.getLogger(WorkerMain.class.getName());

  private WorkerMain() {}

  /** The worker's settings, read and checked from the environment. */
  record Settings(
      String bind,
      int port,
      String url,
      String id,
      String secret,
      String databaseUrl,
      String databaseUser,
      String databasePassword,
      Map<String, Integer> devices,
      String memory,
      int maxBatch,
      Precision precision,
      Duration heartbeat,
      Duration grace) {

    static Settings from(Map<String, String> env) {
      String bind = env.getOrDefault("LLADA_WORKER_ADDRESS", "127.0.0.1");
      int port = integer(env, "LLADA_WORKER_PORT", 8090, 0, 65535);
      String secret = env.get("LLADA_WORKER_SECRET");
      if (secret == null || secret.length() < WorkerWire.MIN_SECRET_LENGTH) {
        throw new IllegalArgumentException(
            "LLADA_WORKER_SECRET must be set, at least "
                + WorkerWire.MIN_SECRET_LENGTH
                + " characters (the platforms' LLADA_WORKER_SECRET)");
      }
      String databaseUrl = env.get("DATABASE_URL");
      String user = env.getOrDefault("DATABASE_USER", "llada");
      String password = env.getOrDefault("DATABASE_PASSWORD", "");
      if (databaseUrl != null && databaseUrl.matches("postgres(ql)?://.*")) { // libpq's form
        java.net.URI u = java.net.URI.create(databaseUrl);
        if (u.getUserInfo() != null) {
          String[] up = u.getUserInfo().split(":", 2);
          user = java.net.URLDecoder.decode(up[0], java.nio.charset.StandardCharsets.UTF_8);
          if (up.length > 1) {
            password = java.net.URLDecoder.decode(up[1], java.nio.charset.StandardCharsets.UTF_8);
          }
        }
        databaseUrl =
            "jdbc:postgresql://"
                + u.getHost()
                + (u.getPort() > 0 ? ":" + u.getPort() : "")
                + u.getRawPath();
      }
      if (databaseUrl == null || !databaseUrl.startsWith("jdbc:postgresql://")) {
        throw new IllegalArgumentException(
            "DATABASE_URL must be the platforms' database: jdbc:postgresql://host:port/name or"
                + " postgresql://user:password@host:port/name");
      }
      Map<String, Integer> devices =
          DevicePool.parseDevices(env.getOrDefault("LLADA_DEVICES", "cpu"));
      String memory = env.getOrDefault("LLADA_WORKER_MEMORY", "");
      if (!memory.isBlank()) {
        ByteSize.parse(memory); // named below when it fails
      }
      return new Settings(
          bind,
          port,
          env.get("LLADA_WORKER_URL"),
          env.get("LLADA_WORKER_ID"),
          secret,
          databaseUrl,
          user,
          password,
          devices,
          memory,
          integer(env, "LLADA_WORKER_MAX_BATCH", 8, 1, 256),
          Precision.parse(env.getOrDefault("LLADA_WORKER_DTYPE", "f32")),
          Duration.ofSeconds(integer(env, "LLADA_WORKER_HEARTBEAT_SECONDS", 2, 1, 60)),
          Duration.ofSeconds(integer(env, "LLADA_SHUTDOWN_GRACE_SECONDS", 15, 0, 3600)));
    }

    private static int integer(
        Map<String, String> env, String name, int fallback, int min, int max) {
      String v = env.get(name);
      if (v == null || v.isBlank()) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(v.strip());
        if (n >= min && n <= max) {
          return n;
        }
      } catch (NumberFormatException e) {
        // named below
      }
      throw new IllegalArgumentException(
          name + " must be a whole number from " + min + " to " + max + ", got '" + v + "'");
    }
  }

  public static void main(String[] args) throws Exception {
    Settings s;
    try {
      s = Settings.from(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("worker: " + e.getMessage());
      System.exit(2);
      return;
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(s.databaseUrl());
    ds.setUser(s.databaseUser());
    ds.setPassword(s.databasePassword());
    DevicePool pool =
        DevicePool.of(
            Executors.defaultThreadFactory(),
            s.devices(),
            d -> s.memory().isBlank() ? DeviceMemory.defaultBudget(d) : ByteSize.parse(s.memory()),
            s.maxBatch(),
            Map.of(),
            WorkerMetrics.NONE,
            s.precision());
    WorkerServer server =
        new WorkerServer(new InetSocketAddress(s.bind(), s.port()), pool, s.secret());
    server.start();
    String url = s.url() != null ? s.url() : "http://" + s.bind() + ":" + server.port();
    String id =
        s.id() != null ? s.id() : InetAddress.getLocalHost().getHostName() + ":" + server.port();
    WorkerRegistration registration =
        new WorkerRegistration(
            ds,
            id,
            url,
            s.devices().entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(",")));
    try {
      registration.register();
    } catch (java.sql.SQLException e) {
      System.err.println("worker: cannot register in " + s.databaseUrl() + ": " + e.getMessage());
      server.close();
      pool.close();
      System.exit(2);
      return;
    }
    ScheduledExecutorService beats =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "llada-worker-heartbeat");
              t.setDaemon(true);
              return t;
            });
    beats.scheduleWithFixedDelay(
        () -> {
          try {
            registration.heartbeat(
                server.running() + pool.load().waitingTotal(),
                resident(pool, server),
                freeBytes(pool),
                server.draining());
          } catch (java.sql.SQLException | RuntimeException e) {
            LOG.log(Level.WARNING, "heartbeat failed; the next one tries again", e);
          }
        },
        s.heartbeat().toMillis(),
        s.heartbeat().toMillis(),
        TimeUnit.MILLISECONDS);
    System.out.println(
        "worker "
            + id
            + " is ready at "
            + url
            + " (devices "
            + s.devices()
            + ", protocol "
            + WorkerWire.PROTOCOL
            + ")");
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.drain();
                  try {
                    registration.heartbeat(
                        server.running(), resident(pool, server), freeBytes(pool), true);
                  } catch (java.sql.SQLException | RuntimeException e) {
                    LOG.log(Level.WARNING, "could not mark this worker draining", e);
                  }
                  long until = System.nanoTime() + s.grace().toNanos();
                  while (server.running() > 0 && System.nanoTime() - until < 0) {
                    try {
                      Thread.sleep(50);
                    } catch (InterruptedException e) {
                      break;
                    }
                  }
                  beats.shutdownNow();
                  pool.close(); // what is left ends: the platform retries or answers a retry
                  server.close();
                  try {
                    registration.deregister();
                  } catch (java.sql.SQLException | RuntimeException e) {
                    LOG.log(Level.WARNING, "could not deregister; the row goes stale", e);
                  }
                  System.out.println("worker " + id + " stopped");
                },
                "llada-worker-stop"));
    Thread.currentThread().join(); // serve until stopped
  }

  /** What the freest slot could give a model it does not hold. */
  static long freeBytes(DevicePool pool) {
    return pool.slots().stream().mapToLong(LocalWorkerPool::freeBytes).max().orElse(0);
  }

  /** The digests of the models some slot holds (resident or loading). */
  static Set<String> resident(DevicePool pool, WorkerServer server) {
    return server.models().stream()
        .filter(m -> pool.slots().stream().anyMatch((LocalWorkerPool slot) -> slot.holds(m)))
        .map(ModelRef::digest)
        .collect(Collectors.toSet());
  }
}

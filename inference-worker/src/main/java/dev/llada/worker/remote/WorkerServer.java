package dev.llada.worker.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.llada.worker.GenerationCancelledException;
import dev.llada.worker.GenerationJob;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelDoesNotFitException;
import dev.llada.worker.WorkerBusyException;
import dev.llada.worker.WorkerLoad;
import dev.llada.worker.WorkerPool;
import dev.llada.worker.WorkerStoppingException;
import jakarta.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A standalone inference worker's HTTP side (docs/adr/0021): the platform sends it generations and
 * likelihoods of models it may load, it runs them on its own {@link WorkerPool} (the same runtime
 * as the embedded worker: continuous batching, fair queues, memory admission) and streams a
 * generation's steps back as JSON lines, then its result or why it ended. Every request must carry
 * the shared secret's proof and this {@link WorkerWire#PROTOCOL}; every answer carries the worker's
 * proof. A job stops at its next step when the platform cancels it ({@code POST
 * /worker/v1/cancel/{job}}) or its connection is gone.
 */
public final class WorkerServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(WorkerServer.class.getName());

  /** The most bytes a job's body may have (a prompt of a model's whole context, as ids). */
  static final int MAX_BODY_BYTES = 8 << 20;

  private final HttpServer http;
  private final WorkerPool pool;
  private final String secret;
  private final ExecutorService threads;
  private final Map<String, AtomicBoolean> cancels = new ConcurrentHashMap<>();
  private final AtomicInteger running = new AtomicInteger();
  private final Map<String, dev.llada.worker.ModelRef> models = new ConcurrentHashMap<>();
  private volatile boolean draining;

  public WorkerServer(InetSocketAddress address, WorkerPool pool, String secret)
      throws IOException {
    if (secret == null || secret.length() < WorkerWire.MIN_SECRET_LENGTH) {
      throw new IllegalArgumentException(
          "the worker secret must have at least " + WorkerWire.MIN_SECRET_LENGTH + " characters");
    }
    this.pool = pool;
    this.secret = secret;
    this.threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "llada-worker-http");
              t.setDaemon(true);
              return t;
            });
    this.http = HttpServer.create(address, 64);
    http.setExecutor(threads);
    http.createContext("/worker/v1/", this::handle);
  }

  public void start() {
    http.start();
  }

  /** The port it listens on (the one asked for, or the one chosen for port 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  /** Takes no new job (503 {@code stopping}); those it has run to their end. */
  public void drain() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  /** The models jobs have asked this worker for, by digest (for its heartbeat). */
  public java.util.Collection<dev.llada.worker.ModelRef> models() {
    return models.values();
  }

  /** Jobs being answered now. */
  public int running() {
    return running.get();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String path = x.getRequestURI().getRawPath();
      x.getResponseHeaders().set(WorkerWire.PROTOCOL_HEADER, Integer.toString(WorkerWire.PROTOCOL));
      String version = x.getRequestHeaders().getFirst(WorkerWire.PROTOCOL_HEADER);
      if (!Integer.toString(WorkerWire.PROTOCOL).equals(version)) {
        answer(
            x,
            400,
            WorkerWire.error(
                "protocol_mismatch",
                "this worker speaks protocol " + WorkerWire.PROTOCOL + ", the request " + version,
                0));
        return;
      }
      String nonce =
          WorkerWire.verify(
              secret,
              x.getRequestHeaders().getFirst(WorkerWire.AUTH_HEADER),
              x.getRequestMethod(),
              path,
              System.currentTimeMillis());
      if (nonce == null) {
        answer(x, 401, WorkerWire.error("unauthorized", "no valid worker credential", 0));
        return;
      }
      x.getResponseHeaders().set(WorkerWire.PROOF_HEADER, WorkerWire.proof(secret, nonce));
      String method = x.getRequestMethod();
      if (method.equals("GET") && path.equals("/worker/v1/health")) {
        answer(x, 200, health());
      } else if (method.equals("POST") && path.equals("/worker/v1/generate")) {
        generate(x);
      } else if (method.equals("POST") && path.equals("/worker/v1/loglikelihood")) {
        loglikelihood(x);
      } else if (method.equals("POST") && path.startsWith("/worker/v1/cancel/")) {
        AtomicBoolean flag = cancels.get(path.substring("/worker/v1/cancel/".length()));
        if (flag != null) {
          flag.set(true);
        }
        answer(x, 200, "{\"cancelled\":" + (flag != null) + "}");
      } else if (method.equals("POST") && path.equals("/worker/v1/drain")) {
        drain();
        answer(x, 200, "{\"draining\":true}");
      } else {
        answer(x, 404, WorkerWire.error("not_found", method + " " + path, 0));
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "worker request failed", e);
    }
  }

  private String health() {
    WorkerLoad load = pool.load();
    return Json.createObjectBuilder()
        .add("protocol", WorkerWire.PROTOCOL)
        .add("draining", draining)
        .add("running", running.get())
        .add("waiting", load.waitingTotal())
        .build()
        .toString();
  }

  private static String body(HttpExchange x) throws IOException {
    try (InputStream in = x.getRequestBody()) {
      byte[] b = in.readNBytes(MAX_BODY_BYTES + 1);
      if (b.length > MAX_BODY_BYTES) {
        throw new IllegalArgumentException("the job has more than " + MAX_BODY_BYTES + " bytes");
      }
      return new String(b, StandardCharsets.UTF_8);
    }
  }

  private void generate(HttpExchange x) throws IOException {
    WorkerWire.Generation g;
    try {
      g = WorkerWire.generation(body(x));
    } catch (RuntimeException e) {
      answer(x, 400, WorkerWire.error("invalid", e.getMessage(), 0));
      return;
    }
    if (draining) {
      answer(x, 503, WorkerWire.error("stopping", "this worker is draining", 0));
      return;
    }
    models.putIfAbsent(g.model().digest(), g.model());
    AtomicBoolean cancelled = new AtomicBoolean();
    AtomicInteger steps = new AtomicInteger();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    cancels.put(g.jobId(), cancelled);
    running.incrementAndGet();
    try {
      CompletableFuture<GenerationResult> future;
      try {
        future =
            pool.generate(
                new GenerationJob(
                    g.model(),
                    g.promptIds(),
                    g.config(),
                    g.seed(),
                    e -> {
                      steps.incrementAndGet();
                      lines.add(WorkerWire.step(e));
                    },
                    cancelled::get,
                    g.acceleration(),
                    g.tenant(),
                    g.weight()));
      } catch (RuntimeException e) {
        future = CompletableFuture.failedFuture(e);
      }
      future.whenComplete(
          (r, error) ->
              lines.add(error == null ? WorkerWire.result(r) : failure(error, steps.get())));
      x.getResponseHeaders().set("Content-Type", "application/x-ndjson");
      x.sendResponseHeaders(200, 0);
      OutputStream out = x.getResponseBody();
      boolean connected = true;
      while (true) {
        String line = lines.take();
        if (connected) {
          try {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          } catch (IOException gone) { // the platform went away: the job stops at its next step
            connected = false;
            cancelled.set(true);
          }
        }
        if (!line.startsWith("{\"type\":\"step\"")) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancelled.set(true);
    } finally {
      cancels.remove(g.jobId());
      running.decrementAndGet();
    }
  }

  private void loglikelihood(HttpExchange x) throws IOException {
    WorkerWire.Likelihood l;
    try {
      l = WorkerWire.likelihood(body(x));
    } catch (RuntimeException e) {
      answer(x, 400, WorkerWire.error("invalid", e.getMessage(), 0));
      return;
    }
    if (draining) {
      answer(x, 503, WorkerWire.error("stopping", "this worker is draining", 0));
      return;
    }
    models.putIfAbsent(l.model().digest(), l.model());
    AtomicBoolean cancelled = new AtomicBoolean();
    cancels.put(l.jobId(), cancelled);
    running.incrementAndGet();
    try {
      LikelihoodResult r =
          pool.loglikelihood(
                  new LikelihoodJob(
                      l.model(),
                      l.contextIds(),
                      l.continuationIds(),
                      l.mcNum(),
                      l.batchSize(),
                      l.cfgScale(),
                      l.seed(),
                      cancelled::get))
              .get();
      answer(x, 200, WorkerWire.result(r));
    } catch (ExecutionException e) {
      answer(x, 200, failure(e.getCause(), 0));
    } catch (RuntimeException e) {
      answer(x, 200, failure(e, 0));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancelled.set(true);
    } finally {
      cancels.remove(l.jobId());
      running.decrementAndGet();
    }
  }

  /** Why a job ended, as the error line the platform reads back into the same exception. */
  static String failure(Throwable error, int steps) {
    Throwable e = error;
    while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof WorkerBusyException b) {
      return WorkerWire.error(b.tenantLimit() ? "tenant_busy" : "busy", b.getMessage(), 0);
    }
    if (e instanceof ModelDoesNotFitException) {
      return WorkerWire.error("does_not_fit", e.getMessage(), 0);
    }
    if (e instanceof GenerationCancelledException c) {
      return WorkerWire.error("cancelled", e.getMessage(), c.stepsRun());
    }
    if (e instanceof WorkerStoppingException s) {
      return WorkerWire.error("stopping", e.getMessage(), Math.max(steps, s.stepsRun()));
    }
    if (e instanceof IllegalArgumentException) {
      return WorkerWire.error("invalid", e.getMessage(), steps);
    }
    LOG.log(Level.SEVERE, "a job failed on this worker", e);
    return WorkerWire.error("failed", "the worker failed: " + e.getClass().getSimpleName(), steps);
  }

  private static void answer(HttpExchange x, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length);
    try (OutputStream out = x.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    http.stop(1);
    threads.shutdownNow();
  }
}

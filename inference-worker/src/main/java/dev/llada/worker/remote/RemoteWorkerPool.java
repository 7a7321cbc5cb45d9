package dev.llada.worker.remote;

import dev.llada.core.vision.ImagePrompt;
import dev.llada.worker.GenerationCancelledException;
import dev.llada.worker.GenerationJob;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelDoesNotFitException;
import dev.llada.worker.ModelLimits;
import dev.llada.worker.ModelRef;
import dev.llada.worker.ModelTexts;
import dev.llada.worker.WorkerBusyException;
import dev.llada.worker.WorkerLoad;
import dev.llada.worker.WorkerPool;
import dev.llada.worker.WorkerStoppingException;
import dev.llada.worker.WorkerUnavailableException;
import jakarta.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The platform's worker port over standalone workers (docs/adr/0021): requests are tokenized and
 * priced here ({@link ModelTexts}: no weights on the platform), then each job goes to the
 * least-busy live worker of this protocol that is not draining, preferring one that holds the
 * model, then one with the free memory to load it (its heartbeat's {@code free_bytes}), then the
 * others (which unload idle models to make room), and its steps come back as they happen. A worker
 * that cannot be reached, refuses for lack of room or dies before the first step is passed over for
 * the next; one that dies after steps were streamed ends the job with {@link
 * WorkerUnavailableException} (retryable), so a step is never run twice. A cancelled job (its
 * deadline, a cancel, a disconnect) is cancelled on its worker within a quarter of a second,
 * whether it runs or waits there.
 */
public final class RemoteWorkerPool implements WorkerPool {

  private static final Logger LOG = Logger.getLogger(RemoteWorkerPool.class.getName());

  private final WorkerDirectory directory;
  private final String secret;
  private final ModelTexts texts = new ModelTexts();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(3))
          .build();
  private final ExecutorService readers =
      Executors.newCachedThreadPool(daemon("llada-remote-worker"));
  private final ScheduledExecutorService watcher =
      Executors.newSingleThreadScheduledExecutor(daemon("llada-remote-cancels"));
  private final Map<String, InFlight> inFlight = new ConcurrentHashMap<>();
  private final Set<String> warned = ConcurrentHashMap.newKeySet();
  private final Set<String> cancelSent = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** A job sent to a worker, watched for cancellation. */
  private record InFlight(
      String jobId, WorkerDirectory.Worker worker, java.util.function.BooleanSupplier cancelled) {}

  public RemoteWorkerPool(WorkerDirectory directory, String secret) {
    if (secret == null || secret.length() < WorkerWire.MIN_SECRET_LENGTH) {
      throw new IllegalArgumentException(
          "LLADA_WORKER_SECRET must have at least " + WorkerWire.MIN_SECRET_LENGTH + " characters");
    }
    this.directory = directory;
    this.secret = secret;
    watcher.scheduleWithFixedDelay(this::cancelWhereAsked, 250, 250, TimeUnit.MILLISECONDS);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  @Override
  public int[] encode(ModelRef model, String text) {
    return texts.encode(model, text);
  }

  @Override
  public String decode(ModelRef model, int[] ids) {
    return texts.decode(model, ids);
  }

  @Override
  public ModelLimits limits(ModelRef model) {
    return texts.limits(model);
  }

  @Override
  public int tokensPerImage(ModelRef model) {
    return texts.tokensPerImage(model);
  }

  @Override
  public ImagePrompt encode(ModelRef model, String text, int images) {
    return texts.encode(model, text, images);
  }

  @Override
  public float[] pixels(ModelRef model, java.awt.image.BufferedImage image) {
    return texts.pixels(model, image);
  }

  @Override
  public void checkRoom(String tenant) {
    if (closed) {
      throw new WorkerStoppingException("this platform node is stopping");
    }
    if (candidates(null).isEmpty()) {
      throw new WorkerBusyException(false, 0); // no live worker: 503 platform_busy, retry
    }
  }

  /** The live workers that may take a job of {@code model}, best first. */
  private List<WorkerDirectory.Worker> candidates(ModelRef model) {
    List<WorkerDirectory.Worker> out = new ArrayList<>();
    for (WorkerDirectory.Worker w : directory.live()) {
      if (w.protocol() != WorkerWire.PROTOCOL) {
        if (warned.add(w.id())) {
          LOG.warning(
              "worker "
                  + w.id()
                  + " speaks protocol "
                  + w.protocol()
                  + ", this platform "
                  + WorkerWire.PROTOCOL
                  + ": not routing to it");
        }
      } else if (!w.draining()) {
        out.add(w);
      }
    }
    long weights = model == null ? 0 : texts.weightBytes(model);
    out.sort(
        Comparator.comparingInt((WorkerDirectory.Worker w) -> placement(w, model, weights))
            .thenComparingInt(w -> w.busy() + busyHere(w))
            .thenComparing(WorkerDirectory.Worker::id));
    return out;
  }

  /**
   * 0: {@code w} holds the model; 1: it has the memory free to load it; 2: it would have to unload
   * idle models first (or cannot load it at all, and says so).
   */
  static int placement(WorkerDirectory.Worker w, ModelRef model, long weightBytes) {
    if (model == null || w.resident().contains(model.digest())) {
      return 0;
    }
    return w.freeBytes() >= weightBytes ? 1 : 2;
  }

  /** Jobs this platform has sent to {@code w} and not seen end: fresher than its heartbeat. */
  private int busyHere(WorkerDirectory.Worker w) {
    int n = 0;
    for (InFlight f : inFlight.values()) {
      n += f.worker().id().equals(w.id()) ? 1 : 0;
    }
    return n;
  }

  @Override
  public CompletableFuture<GenerationResult> generate(GenerationJob job) {
    if (closed) {
      return CompletableFuture.failedFuture(new WorkerStoppingException("this node is stopping"));
    }
    if (job.images() != null) {
      return CompletableFuture.failedFuture(
          new IllegalArgumentException(
              "image requests are served by the embedded worker only, not by standalone workers"));
    }
    String jobId = UUID.randomUUID().toString();
    String body =
        WorkerWire.encode(
            new WorkerWire.Generation(
                jobId,
                job.model(),
                job.promptIds(),
                job.config(),
                job.seed(),
                job.acceleration(),
                job.tenant(),
                job.weight()));
    CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    readers.execute(() -> runGeneration(job, jobId, body, result));
    return result;
  }

  private void runGeneration(
      GenerationJob job, String jobId, String body, CompletableFuture<GenerationResult> result) {
    Set<String> tried = new HashSet<>();
    RuntimeException last = null; // no worker: 503 platform_busy
    for (WorkerDirectory.Worker w : candidates(job.model())) {
      if (!tried.add(w.id())) {
        continue;
      }
      int[] steps = {0};
      inFlight.put(jobId, new InFlight(jobId, w, job.cancelled()));
      try {
        String auth = WorkerWire.authorization(secret, "POST", "/worker/v1/generate");
        HttpResponse<Stream<String>> r =
            http.send(
                request(w, "/worker/v1/generate", auth)
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
        checkProof(w, auth, r);
        Iterator<String> lines = r.body().iterator();
        while (lines.hasNext()) {
          JsonObject o = WorkerWire.read(lines.next());
          switch (o.getString("type")) {
            case "step" -> {
              steps[0]++;
              job.listener().onStep(WorkerWire.step(o));
            }
            case "result" -> {
              result.complete(WorkerWire.result(o));
              return;
            }
            default -> {
              RuntimeException e = refusal(o);
              if (steps[0] == 0 && passOn(e)) {
                last = new WorkerBusyException(false, 0); // every worker full or draining: 503
                throw new Skip();
              }
              result.completeExceptionally(e);
              return;
            }
          }
        }
        throw new IOException("the worker closed the stream without a result");
      } catch (Skip next) {
        // refused before it ran (full, draining): the next worker
      } catch (IOException | UncheckedIOException e) {
        if (steps[0] > 0) { // it ran here: running it again elsewhere would run steps twice
          result.completeExceptionally(
              new WorkerUnavailableException(
                  "worker " + w.id() + " was lost after " + steps[0] + " steps", steps[0]));
          return;
        }
        LOG.log(
            Level.INFO, "worker " + w.id() + " did not take job " + jobId + "; trying another", e);
        last = unreachable(last, w);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        result.completeExceptionally(new WorkerStoppingException("interrupted", steps[0]));
        return;
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      } finally {
        inFlight.remove(jobId);
        cancelSent.remove(jobId);
      }
    }
    result.completeExceptionally(last != null ? last : new WorkerBusyException(false, 0));
  }

  /**
   * The error for a request no worker took, after {@code w} could not be reached: a worker that
   * answered "full" or "draining" before it makes it {@code platform_busy} (the pool is there, it
   * is full); only when none answered is it {@code worker_unavailable}. Both are retryable 503s.
   */
  private static RuntimeException unreachable(RuntimeException last, WorkerDirectory.Worker w) {
    return last instanceof WorkerBusyException
        ? last
        : new WorkerUnavailableException("worker " + w.id() + " could not be reached", 0);
  }

  /** A refusal before anything ran that another worker may not give. */
  private static boolean passOn(RuntimeException e) {
    return e instanceof WorkerBusyException b && !b.tenantLimit()
        || e instanceof WorkerStoppingException;
  }

  private static final class Skip extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Skip() {
      super(null, null, false, false);
    }
  }

  /** The exception a worker's error line stands for, the one the embedded worker would throw. */
  static RuntimeException refusal(JsonObject o) {
    String message = o.getString("message", "");
    int steps = o.getInt("steps_run", 0);
    return switch (o.getString("kind", "failed")) {
      case "busy" -> new WorkerBusyException(false, 0);
      case "tenant_busy" -> new WorkerBusyException(true, 0);
      case "does_not_fit" -> new ModelDoesNotFitException(message);
      case "cancelled" -> new GenerationCancelledException(message, steps);
      case "stopping" -> new WorkerStoppingException(message, steps);
      case "invalid" -> new IllegalArgumentException(message);
      default -> new WorkerUnavailableException(message, steps);
    };
  }

  private HttpRequest.Builder request(WorkerDirectory.Worker w, String path, String auth) {
    return HttpRequest.newBuilder(URI.create(w.url() + path))
        .header(WorkerWire.PROTOCOL_HEADER, Integer.toString(WorkerWire.PROTOCOL))
        .header(WorkerWire.AUTH_HEADER, auth)
        .header("Content-Type", "application/json");
  }

  /** The worker proved it holds the secret and speaks this protocol, or it is not listened to. */
  private void checkProof(WorkerDirectory.Worker w, String auth, HttpResponse<?> r)
      throws IOException {
    if (!WorkerWire.proves(
            secret, auth, r.headers().firstValue(WorkerWire.PROOF_HEADER).orElse(null))
        || !Integer.toString(WorkerWire.PROTOCOL)
            .equals(r.headers().firstValue(WorkerWire.PROTOCOL_HEADER).orElse(""))) {
      LOG.warning("worker " + w.id() + " at " + w.url() + " gave no valid proof; not using it");
      throw new IOException(
          "worker " + w.id() + " is not authenticated (status " + r.statusCode() + ")");
    }
  }

  @Override
  public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
    if (closed) {
      return CompletableFuture.failedFuture(new WorkerStoppingException("this node is stopping"));
    }
    String jobId = UUID.randomUUID().toString();
    String body =
        WorkerWire.encode(
            new WorkerWire.Likelihood(
                jobId,
                job.model(),
                job.contextIds(),
                job.continuationIds(),
                job.mcNum(),
                job.batchSize(),
                job.cfgScale(),
                job.seed()));
    CompletableFuture<LikelihoodResult> result = new CompletableFuture<>();
    readers.execute(
        () -> {
          RuntimeException last = null; // no worker: 503 platform_busy
          for (WorkerDirectory.Worker w : candidates(job.model())) {
            inFlight.put(jobId, new InFlight(jobId, w, job.cancelled()));
            try {
              String auth = WorkerWire.authorization(secret, "POST", "/worker/v1/loglikelihood");
              HttpResponse<String> r =
                  http.send(
                      request(w, "/worker/v1/loglikelihood", auth)
                          .POST(HttpRequest.BodyPublishers.ofString(body))
                          .build(),
                      HttpResponse.BodyHandlers.ofString());
              checkProof(w, auth, r);
              JsonObject o = WorkerWire.read(r.body());
              if (o.getString("type").equals("result")) {
                result.complete(WorkerWire.likelihoodResult(o));
                return;
              }
              RuntimeException e = refusal(o);
              if (!passOn(e)) {
                result.completeExceptionally(e);
                return;
              }
              last = new WorkerBusyException(false, 0);
            } catch (IOException e) { // nothing of a likelihood is kept: another worker may run it
              last = unreachable(last, w);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              result.completeExceptionally(new WorkerStoppingException("interrupted", 0));
              return;
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
              return;
            } finally {
              inFlight.remove(jobId);
            }
          }
          result.completeExceptionally(last != null ? last : new WorkerBusyException(false, 0));
        });
    return result;
  }

  /** Tells workers of the jobs whose deadline, cancel or disconnect came while they run or wait. */
  private void cancelWhereAsked() {
    for (InFlight f : inFlight.values()) {
      try {
        if (f.cancelled().getAsBoolean() && cancelSent.add(f.jobId())) {
          String path = "/worker/v1/cancel/" + f.jobId();
          String auth = WorkerWire.authorization(secret, "POST", path);
          http.sendAsync(
              request(f.worker(), path, auth).POST(HttpRequest.BodyPublishers.noBody()).build(),
              HttpResponse.BodyHandlers.discarding());
        }
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "could not cancel job " + f.jobId(), e);
      }
    }
  }

  @Override
  public WorkerLoad load() {
    return new WorkerLoad(Map.of(), Map.of(), Map.of());
  }

  @Override
  public boolean drain(Duration grace) {
    long until = System.nanoTime() + grace.toNanos();
    while (!inFlight.isEmpty() && System.nanoTime() - until < 0) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return inFlight.isEmpty();
  }

  @Override
  public void close() {
    closed = true;
    inFlight
        .values()
        .forEach(
            f -> {
              String path = "/worker/v1/cancel/" + f.jobId();
              String auth = WorkerWire.authorization(secret, "POST", path);
              http.sendAsync(
                  request(f.worker(), path, auth).POST(HttpRequest.BodyPublishers.noBody()).build(),
                  HttpResponse.BodyHandlers.discarding());
            });
    watcher.shutdownNow();
    readers.shutdownNow();
  }
}

package dev.llada.platform.application;

import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ClientGoneException;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.ModelNotFoundException;
import dev.llada.platform.domain.PermissionDeniedException;
import dev.llada.platform.domain.QuotaExceededException;
import dev.llada.platform.domain.Scope;
import dev.llada.platform.domain.ServiceUnavailableException;
import dev.llada.platform.domain.UnprocessableException;
import dev.llada.registry.domain.ModelCatalog;
import dev.llada.registry.domain.ServedModel;
import dev.llada.worker.GenerationCancelledException;
import dev.llada.worker.GenerationJob;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelDoesNotFitException;
import dev.llada.worker.ModelLimits;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerBusyException;
import dev.llada.worker.WorkerPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Runs a tenant's request: resolve the model and check the tenant may call it, tokenize and price
 * the request, reserve its usage, dispatch it to the worker, and settle the usage on every exit
 * path (success, error, timeout, cancel, client disconnect) with the steps that actually ran.
 *
 * <p>Longer than ~300 lines on purpose: it is one use case from resolution to settlement, and the
 * settlement on every exit path is only checkable when all of those paths are in one file. [W]'s
 * scheduler takes over dispatch and waiting, which will shrink it.
 */
@ApplicationScoped
public class InferenceService {

  private static final Logger LOG = Logger.getLogger(InferenceService.class.getName());
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Platform ceiling on steps, whatever the model (a request's cost grows with it). */
  public static final int MAX_STEPS = 4096;

  @Inject ModelCatalog catalog;
  @Inject Tenancy tenancy;
  @Inject QuotaLedger ledger;
  @Inject WorkerPool pool;
  @Inject LiveRequests requests;
  @Inject RequestMetrics metrics;

  /** Settles requests and builds their answers off the inference thread (null in unit tests). */
  @jakarta.annotation.Resource jakarta.enterprise.concurrent.ManagedExecutorService executor;

  @Inject
  @ConfigProperty(name = "llada.request.timeout-seconds", defaultValue = "300")
  long timeoutSeconds;

  /**
   * How long a reservation's lease lasts; 0 (the default) means twice the request timeout. No
   * request runs longer than its timeout plus one step, so a live request never loses its lease.
   */
  @Inject
  @ConfigProperty(name = "llada.reservations.lease-seconds", defaultValue = "0")
  long leaseSeconds;

  /**
   * A request's own deadline ({@code X-Request-Timeout}) may be shorter than the platform's request
   * timeout, never longer (400 otherwise); null means the platform's.
   */
  private void checkTimeout(Duration timeout) {
    if (timeout != null
        && (timeout.isNegative()
            || timeout.isZero()
            || timeout.compareTo(Duration.ofSeconds(timeoutSeconds)) > 0)) {
      throw new InvalidRequestException(
          "invalid_request_timeout",
          "X-Request-Timeout",
          "X-Request-Timeout must be more than 0 and at most this platform's request timeout of "
              + timeoutSeconds
              + " seconds.");
    }
  }

  /** The lease every reservation gets; set it longer than the request timeout. */
  public Duration lease() {
    return Duration.ofSeconds(Math.max(1, leaseSeconds > 0 ? leaseSeconds : 2 * timeoutSeconds));
  }

  /** The model a caller may run under {@code name}: 404 unknown, 403 not entitled, 422 no files. */
  public ResolvedModel resolve(Caller caller, String name) {
    caller.require(Scope.INFERENCE);
    if (caller.isAdmin()) {
      throw new PermissionDeniedException(
          "tenant_key_required",
          null,
          "The master key administers the platform; run models with a tenant's API key.");
    }
    if (name == null || name.isBlank()) {
      throw new InvalidRequestException("model", "'model' is required.");
    }
    ServedModel model =
        catalog
            .findModel(caller.tenantId(), caller.tenantSlug(), name)
            .orElseThrow(() -> new ModelNotFoundException(name));
    if (!tenancy.entitled(caller.tenantId(), model.variant())) {
      throw new PermissionDeniedException(
          "model_not_allowed",
          "model",
          "Your tenant is not entitled to the " + model.variant() + " variant ('" + name + "').");
    }
    if (!model.servable()) {
      throw new UnprocessableException(
          "model_not_deployed",
          "model",
          "'"
              + name
              + "' names a variant with no deployed version; call a registered alias instead.");
    }
    Path dir =
        model
            .localDirectory()
            .orElseThrow(
                () ->
                    new ServiceUnavailableException(
                        "model_unavailable", "The files of '" + name + "' are not on this node."));
    return new ResolvedModel(new ModelRef(name, dir, model.digest()), model.variant());
  }

  /**
   * Token ids of {@code text} (the request field {@code param}), refused before the tokenizer sees
   * it when its bytes alone show that it cannot fit the model's context (llada's bound {@link
   * ModelLimits#maxTextBytes()}); the token count is checked against the context by the caller.
   */
  public int[] encode(ModelRef model, String text, String param) {
    checkTextBytes(model, text, param);
    return pool.encode(model, text);
  }

  private void checkTextBytes(ModelRef model, String text, String param) {
    ModelLimits limits = pool.limits(model);
    long bytes = utf8Length(text);
    if (bytes > limits.maxTextBytes()) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          param,
          "'"
              + param
              + "' has "
              + bytes
              + " bytes of text, more than this model's context of "
              + limits.maxSequenceLength()
              + " tokens can hold (at most "
              + limits.maxTextBytes()
              + " bytes).");
    }
  }

  /** Positions one image takes in a prompt of {@code model}; 0 when it reads no images. */
  public int tokensPerImage(ModelRef model) {
    return pool.tokensPerImage(model);
  }

  /** {@code image} preprocessed for the tower of {@code model} (on this thread, no weights). */
  public float[] pixels(ModelRef model, java.awt.image.BufferedImage image) {
    return pool.pixels(model, image);
  }

  /** UTF-8 length of {@code s}, without encoding it. */
  static long utf8Length(CharSequence s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  public ModelLimits limits(ModelRef model) {
    return pool.limits(model);
  }

  public String decode(ModelRef model, int[] ids) {
    return pool.decode(model, ids);
  }

  /**
   * Tokenizes {@code prompt} (the request field {@code promptParam}: {@code prompt} or {@code
   * messages}), fills the knobs' defaults and checks them against the model.
   */
  public PreparedRequest prepare(
      ModelRef ref, String prompt, String promptParam, DiffusionParams p) {
    return prepare(ref, encode(ref, prompt, promptParam), null, promptParam, p);
  }

  /**
   * As {@link #prepare(ModelRef, String, String, DiffusionParams)} for a LLaDA-V prompt: {@code
   * prompt} holds one {@code <image>} per entry of {@code pixels} (each preprocessed by {@link
   * #pixels}), and each image takes {@link #tokensPerImage} positions of the context, priced as
   * prompt tokens. Classifier-free guidance with images is refused (docs/adr/0016-llada-v.md).
   */
  public PreparedRequest prepare(
      ModelRef ref,
      String prompt,
      String promptParam,
      DiffusionParams p,
      java.util.List<float[]> pixels) {
    if (pixels.isEmpty()) {
      return prepare(ref, prompt, promptParam, p);
    }
    checkImages(ref, prompt, pixels.size(), p, promptParam);
    dev.llada.core.vision.ImagePrompt imagePrompt;
    try {
      imagePrompt = pool.encode(ref, prompt, pixels.size());
    } catch (dev.llada.core.vision.ImageInputException e) {
      throw new InvalidRequestException(e.code(), promptParam, e.getMessage());
    } catch (IllegalArgumentException e) { // not an image fault the decoder names
      throw new InvalidRequestException(promptParam, e.getMessage());
    }
    return prepare(
        ref,
        imagePrompt.ids(),
        new dev.llada.worker.GenerationImages(imagePrompt, pixels),
        promptParam,
        p);
  }

  /**
   * What a prompt with {@code images} images is refused for before any image is decoded: a model
   * that reads none, classifier-free guidance (not supported with images yet), more text than the
   * context holds, or more image positions than it holds.
   */
  public void checkImages(
      ModelRef ref, String prompt, int images, DiffusionParams p, String promptParam) {
    int per = pool.tokensPerImage(ref);
    if (per < 1) {
      throw new InvalidRequestException(
          "image_not_supported",
          promptParam,
          "The model '" + ref.name() + "' reads no images (it is not a LLaDA-V model).");
    }
    if (p.cfgScale() > 0) {
      throw new InvalidRequestException(
          "unsupported_parameter",
          "cfg_scale",
          "cfg_scale > 0 (classifier-free guidance) is not supported with images yet; send"
              + " cfg_scale 0 or leave it out.");
    }
    checkTextBytes(ref, prompt, promptParam);
    int context = pool.limits(ref).maxSequenceLength();
    if ((long) images * per >= context) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          promptParam,
          images
              + (images == 1 ? " image takes " : " images take ")
              + (long) images * per
              + " positions ("
              + per
              + " each); this model's context is "
              + context
              + " tokens, prompt and answer together.");
    }
  }

  private PreparedRequest prepare(
      ModelRef ref,
      int[] ids,
      dev.llada.worker.GenerationImages images,
      String promptParam,
      DiffusionParams p) {
    ModelLimits limits = pool.limits(ref);
    int room = limits.maxSequenceLength() - ids.length;
    String withImages =
        images == null
            ? ""
            : " ("
                + images.count()
                + (images.count() == 1 ? " image" : " images")
                + " of "
                + images.prompt().tokensPerImage()
                + " positions each included)";
    if (room < 1) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          promptParam,
          "The prompt has "
              + ids.length
              + " tokens"
              + withImages
              + "; this model's context is "
              + limits.maxSequenceLength()
              + " tokens.");
    }
    int genLength =
        p.genLength() != null ? p.genLength() : Math.min(DiffusionParams.DEFAULT_GEN_LENGTH, room);
    if (genLength < 1 || genLength > room) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          "gen_length",
          "gen_length (max_tokens) must be between 1 and "
              + room
              + ": the prompt has "
              + ids.length
              + " tokens"
              + withImages
              + " and this model's context is "
              + limits.maxSequenceLength()
              + ".");
    }
    int blockLength = p.blockLength() != null ? p.blockLength() : genLength;
    int steps = p.steps() != null ? p.steps() : genLength;
    if (steps < 1 || steps > MAX_STEPS) {
      throw new InvalidRequestException(
          "steps", "steps must be between 1 and " + MAX_STEPS + ", got " + steps + ".");
    }
    SamplingConfig config;
    try {
      config =
          new SamplingConfig(
              steps,
              genLength,
              blockLength,
              p.temperature(),
              p.cfgScale(),
              p.remasking() == null ? Remasking.LOW_CONFIDENCE : p.remasking(),
              false,
              false);
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      String param =
          message.startsWith("block_length")
              ? "block_length"
              : message.startsWith("steps")
                  ? "steps"
                  : message.startsWith("gen_length") ? "gen_length" : null;
      throw new InvalidRequestException(param, message);
    }
    long seed = p.seed() != null ? p.seed() : SEEDS.nextLong();
    return new PreparedRequest(
        ref,
        ids,
        config,
        seed,
        PreparedRequest.computeUnits(steps, ids.length + genLength, config.cfgScale()),
        p.acceleration(),
        images);
  }

  /**
   * As {@link #admit(java.util.UUID, String, Duration, Caller, PreparedRequest, String)}, with the
   * request's ids and deadline read from its context.
   */
  public Reservation admit(
      RequestContext request, Caller caller, PreparedRequest r, String endpoint) {
    return admit(
        request.requestId(),
        request.clientRequestId(),
        request.requestTimeout(),
        caller,
        r,
        endpoint);
  }

  /** The likelihood's admission, with the request's ids and deadline read from its context. */
  public Reservation admit(
      RequestContext request,
      Caller caller,
      ModelRef model,
      String endpoint,
      int promptTokens,
      long units) {
    return admit(
        request.requestId(),
        request.clientRequestId(),
        request.requestTimeout(),
        caller,
        model,
        endpoint,
        promptTokens,
        units);
  }

  /**
   * Reserves the request's usage (429 when a limit would be passed, 503 when unaccountable) and
   * makes it cancellable under its id and the client's ({@code clientRequestId}, may be null).
   */
  public Reservation admit(
      java.util.UUID requestId,
      String clientRequestId,
      Duration timeout,
      Caller caller,
      PreparedRequest r,
      String endpoint) {
    checkTimeout(timeout);
    try { // a full queue is refused before anything is reserved: at once, no database
      pool.checkRoom(caller.tenantId() == null ? "" : caller.tenantId().toString());
      pool.checkFits(r.ref());
    } catch (WorkerBusyException e) {
      throw busy(e, null);
    } catch (ModelDoesNotFitException e) {
      throw doesNotFit(e);
    } catch (dev.llada.worker.WorkerStoppingException e) {
      throw shuttingDown();
    }
    Reservation reservation =
        ledger.reserve(
            requestId,
            caller,
            r.ref().name(),
            endpoint,
            r.promptIds().length,
            r.config().genLength(),
            r.computeUnits(),
            lease());
    requests.open(reservation, clientRequestId, timeout);
    return reservation;
  }

  /**
   * Reserves one attempt of a batch's request (BatchStore): as {@link #admit(java.util.UUID,
   * String, Duration, Caller, PreparedRequest, String)}, but its lease records no progress, so an
   * attempt whose JVM dies is settled with nothing charged and the item's next attempt is the one
   * that pays.
   */
  public Reservation admitBatchItem(
      java.util.UUID requestId, Caller caller, PreparedRequest r, String endpoint) {
    Reservation reservation = admit(requestId, null, null, caller, r, endpoint);
    requests.unbilledOnExpiry(reservation.requestId());
    return reservation;
  }

  /** Reserves a request that generates nothing (likelihood): a request slot and its units. */
  public Reservation admit(
      java.util.UUID requestId,
      String clientRequestId,
      Duration timeout,
      Caller caller,
      ModelRef model,
      String endpoint,
      int promptTokens,
      long units) {
    checkTimeout(timeout);
    try { // a model that cannot load here is refused before anything is reserved
      pool.checkFits(model);
    } catch (ModelDoesNotFitException e) {
      throw doesNotFit(e);
    }
    Reservation reservation =
        ledger.reserve(requestId, caller, model.name(), endpoint, promptTokens, 0, units, lease());
    requests.open(reservation, clientRequestId, timeout);
    return reservation;
  }

  /**
   * Runs an admitted generation and settles it, whatever happens.
   *
   * @param listener sees every step on the inference thread
   * @param disconnected true once the client has gone; the generation then stops at the next step
   *     and is settled as DISCONNECTED with the steps that ran
   */
  public GenerationResult generate(
      Reservation reservation,
      PreparedRequest r,
      StepEvent.Listener listener,
      BooleanSupplier disconnected) {
    return generate(reservation, r, listener, disconnected, Function.identity());
  }

  /**
   * As {@link #generate(Reservation, PreparedRequest, StepEvent.Listener, BooleanSupplier)}, with
   * the answer built by {@code respond} before the request is settled: an answer that cannot be
   * built settles as ERROR, so a failed request is never billed as a success. Waits on the caller's
   * thread; {@link #generateAsync} holds no thread while the request runs.
   */
  public <T> T generate(
      Reservation reservation,
      PreparedRequest r,
      StepEvent.Listener listener,
      BooleanSupplier disconnected,
      Function<GenerationResult, T> respond) {
    return join(generateAsync(reservation, r, listener, disconnected, respond));
  }

  /**
   * Runs an admitted generation without holding the caller's thread: the answer (or the refusal)
   * completes the returned stage once the request is settled, on the settling executor. The request
   * stops at its next step once its deadline (the request timeout, counted from here: queue time
   * counts), a cancel or {@code disconnected} says so; a waiting one is dropped without running.
   */
  public <T> CompletableFuture<T> generateAsync(
      Reservation reservation,
      PreparedRequest r,
      StepEvent.Listener listener,
      BooleanSupplier disconnected,
      Function<GenerationResult, T> respond) {
    return generateAsync(reservation, r, listener, disconnected, respond, ledgerSettler());
  }

  /**
   * How a request's end is written: the ledger's settlement ({@link #settle}), or for a batch item
   * its answer or refusal together with the settlement, in one transaction (BatchStore#finish).
   */
  @FunctionalInterface
  public interface Settler<T> {
    /**
     * @param answer the answer when {@code outcome} is SUCCESS, else null
     * @param refusal what the caller gets when it is not, else null
     */
    void settle(
        Reservation reservation,
        Outcome outcome,
        int tokens,
        long units,
        T answer,
        RuntimeException refusal);
  }

  private <T> Settler<T> ledgerSettler() {
    return (reservation, outcome, tokens, units, answer, refusal) ->
        settle(reservation, outcome, tokens, units);
  }

  /**
   * As {@link #generateAsync(Reservation, PreparedRequest, StepEvent.Listener, BooleanSupplier,
   * Function)}, its end written by {@code settler}.
   */
  public <T> CompletableFuture<T> generateAsync(
      Reservation reservation,
      PreparedRequest r,
      StepEvent.Listener listener,
      BooleanSupplier disconnected,
      Function<GenerationResult, T> respond,
      Settler<T> settler) {
    AtomicInteger committed = new AtomicInteger();
    AtomicLong computed = new AtomicLong(); // what the forwards that ran computed: the settlement
    LiveRequests.Live live = requests.of(reservation);
    Deadline deadline = new Deadline(live.timeout().orElse(Duration.ofSeconds(timeoutSeconds)));
    StepEvent.Listener counting =
        e -> {
          live.progress(
              committed.addAndGet(e.positions()[0].length), computed.addAndGet(e.queryPositions()));
          listener.onStep(e);
        };
    CompletableFuture<GenerationResult> future =
        submit(
            () ->
                pool.generate(
                    new GenerationJob(
                        r.ref(),
                        r.promptIds(),
                        r.config(),
                        r.seed(),
                        counting,
                        () -> deadline.passed() || live.cancelled() || disconnected.getAsBoolean(),
                        r.acceleration(),
                        reservation.tenantId() == null ? "" : reservation.tenantId().toString(),
                        reservation.queueWeight(), // the tenant's share of the steps
                        r.images())));
    return future.handleAsync(
        (result, error) -> {
          if (error != null) { // what the forwards that ran computed is charged
            throw ended(
                reservation,
                unwrap(error),
                deadline,
                live,
                disconnected,
                committed.get(),
                stepsRun -> computed.get(),
                computed.get(),
                settler);
          }
          T answer;
          try {
            answer = respond.apply(result);
          } catch (ClientGoneException e) { // the client left before the whole answer reached it
            settler.settle(
                reservation, Outcome.DISCONNECTED, committed.get(), result.computeUnits(), null, e);
            throw e;
          } catch (RuntimeException e) {
            settler.settle(reservation, Outcome.ERROR, 0, result.computeUnits(), null, e);
            throw e;
          } catch (Error e) { // settled as any failure (a batch item ends with it), then thrown
            settler.settle(
                reservation,
                Outcome.ERROR,
                0,
                result.computeUnits(),
                null,
                new IllegalStateException("the answer could not be built", e));
            throw e;
          }
          settler.settle(
              reservation,
              Outcome.SUCCESS,
              result.completionIds().length,
              result.computeUnits(),
              answer,
              null);
          return answer;
        },
        settling());
  }

  /**
   * Log-likelihood of a continuation, priced as mc_num forwards over the whole sequence; the answer
   * is built by {@code respond} before the request settles (ERROR when it cannot be). Waits on the
   * caller's thread; {@link #loglikelihoodAsync} holds none.
   */
  public <T> T loglikelihood(
      Reservation reservation,
      LikelihoodJob job,
      long units,
      BooleanSupplier disconnected,
      Function<LikelihoodResult, T> respond) {
    return join(loglikelihoodAsync(reservation, job, units, disconnected, respond));
  }

  /** As {@link #loglikelihood}, completing the returned stage once the request is settled. */
  public <T> CompletableFuture<T> loglikelihoodAsync(
      Reservation reservation,
      LikelihoodJob job,
      long units,
      BooleanSupplier disconnected,
      Function<LikelihoodResult, T> respond) {
    LiveRequests.Live live = requests.of(reservation);
    Deadline deadline = new Deadline(live.timeout().orElse(Duration.ofSeconds(timeoutSeconds)));
    // the deadline, a cancel and a disconnect reach the job: it stops before its next MC batch
    CompletableFuture<LikelihoodResult> future =
        submit(
            () ->
                pool.loglikelihood(
                    job.cancelledWhen(
                        () ->
                            deadline.passed() || live.cancelled() || disconnected.getAsBoolean())));
    return future.handleAsync(
        (result, error) -> {
          if (error != null) { // the Monte Carlo batches that ran are charged
            Throwable cause = unwrap(error);
            int batches = Math.max(1, job.mcNum() / Math.max(1, job.batchSize()));
            throw ended(
                reservation,
                cause,
                deadline,
                live,
                disconnected,
                0,
                batchesRun -> units * batchesRun / batches,
                cause instanceof IllegalArgumentException ? 0 : units,
                ledgerSettler());
          }
          T answer;
          try {
            answer = respond.apply(result);
          } catch (RuntimeException | Error e) {
            settle(reservation, Outcome.ERROR, 0, units);
            throw e;
          }
          settle(reservation, Outcome.SUCCESS, 0, units);
          return answer;
        },
        settling());
  }

  /**
   * Settles a job that ended without an answer and gives the refusal its caller gets, the same for
   * every kind of job: refused at once by the worker (a full queue, a model too large: nothing ran,
   * nothing charged); stopped early by its deadline, a cancel or a disconnect ({@code ranUnits} of
   * the steps or batches run are charged); the node shutting down; or a failure ({@code
   * failedUnits} charged).
   *
   * @param committed the tokens committed before it ended
   */
  private <T> RuntimeException ended(
      Reservation reservation,
      Throwable cause,
      Deadline deadline,
      LiveRequests.Live live,
      BooleanSupplier disconnected,
      int committed,
      java.util.function.IntToLongFunction ranUnits,
      long failedUnits,
      Settler<T> settler) {
    if (cause instanceof WorkerBusyException e) {
      return settled(settler, reservation, Outcome.ERROR, 0, 0, busy(e, reservation));
    }
    if (cause instanceof ModelDoesNotFitException e) {
      return settled(settler, reservation, Outcome.ERROR, 0, 0, doesNotFit(e));
    }
    if (cause instanceof GenerationCancelledException e) {
      Outcome outcome = disconnected.getAsBoolean() ? Outcome.DISCONNECTED : Outcome.CANCELLED;
      return settled(
          settler,
          reservation,
          outcome,
          committed,
          ranUnits.applyAsLong(e.stepsRun()),
          stopped(deadline, live, outcome, e.stepsRun()));
    }
    if (cause instanceof dev.llada.worker.WorkerStoppingException e) {
      return settled(
          settler,
          reservation,
          Outcome.CANCELLED,
          committed,
          ranUnits.applyAsLong(e.stepsRun()),
          shuttingDown());
    }
    if (cause instanceof dev.llada.worker.WorkerUnavailableException e) { // what ran is charged
      return settled(
          settler,
          reservation,
          Outcome.ERROR,
          committed,
          ranUnits.applyAsLong(e.stepsRun()),
          new ServiceUnavailableException(
              "worker_unavailable",
              "No inference worker could finish the request (" + e.getMessage() + "); retry it.",
              1));
    }
    return settled(settler, reservation, Outcome.ERROR, 0, failedUnits, failure(cause));
  }

  private static <T> RuntimeException settled(
      Settler<T> settler,
      Reservation reservation,
      Outcome outcome,
      int tokens,
      long units,
      RuntimeException refusal) {
    settler.settle(reservation, outcome, tokens, units, null, refusal);
    return refusal;
  }

  /** A request's deadline: the request timeout from when it was dispatched (queue time counts). */
  private static final class Deadline {
    private final long at;
    private final Duration length;
    private volatile boolean passed;

    Deadline(Duration length) {
      this.length = length;
      this.at = System.nanoTime() + length.toNanos();
    }

    boolean passed() {
      if (!passed && System.nanoTime() - at > 0) {
        passed = true;
      }
      return passed;
    }

    String seconds() {
      return length.toMillis() % 1000 == 0
          ? Long.toString(length.toSeconds())
          : String.format(java.util.Locale.ROOT, "%.3f", length.toMillis() / 1000.0);
    }
  }

  /** The worker's future; a worker that refuses by throwing gives a failed one. */
  private static <T> CompletableFuture<T> submit(
      java.util.function.Supplier<CompletableFuture<T>> dispatch) {
    try {
      return dispatch.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Where requests settle and answers are built: never the inference thread (database writes). */
  private java.util.concurrent.Executor settling() {
    if (executor == null) {
      return Runnable::run;
    }
    return task -> {
      try {
        executor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException stopping) {
        task.run(); // the executor is going away (shutdown): settle here rather than never
      }
    };
  }

  private static Throwable unwrap(Throwable t) {
    while ((t instanceof java.util.concurrent.CompletionException
            || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** The refusal for a failed job: bad input 400, a platform error as is, anything else 503. */
  private static RuntimeException failure(Throwable cause) {
    if (cause instanceof dev.llada.core.vision.ImageInputException e) {
      return new InvalidRequestException(e.code(), null, e.getMessage());
    }
    if (cause instanceof IllegalArgumentException e) {
      return new InvalidRequestException(null, e.getMessage());
    }
    if (cause instanceof RuntimeException e) {
      return e;
    }
    LOG.log(Level.SEVERE, "inference failed", cause);
    return new ServiceUnavailableException("worker_failed", "The inference worker failed.");
  }

  /** A model too large for the worker's memory: no retry helps until an operator acts. */
  private static ServiceUnavailableException doesNotFit(ModelDoesNotFitException e) {
    return new ServiceUnavailableException(
        "model_does_not_fit",
        "This platform cannot load the model: "
            + e.getMessage()
            + ". An operator can raise LLADA_WORKER_MEMORY or lower LLADA_WORKER_MAX_BATCH.");
  }

  /** This node is draining: another node (or this one restarted) answers a retry. */
  private static ServiceUnavailableException shuttingDown() {
    return new ServiceUnavailableException(
        "shutting_down", "This platform node is shutting down; retry the request.", 1);
  }

  /** A full queue: 429 for the tenant's share, 503 for the platform's; retry after a second. */
  private static RuntimeException busy(WorkerBusyException e, Reservation reservation) {
    if (e.tenantLimit()) {
      return new QuotaExceededException(
          "tenant_queue_full",
          "Your tenant has as many requests waiting as it may; retry when some have finished.",
          reservation == null ? null : reservation.limits(),
          1);
    }
    return new ServiceUnavailableException(
        "platform_busy",
        "The platform has as many requests waiting as it can hold; retry later.",
        1);
  }

  /** The answer of an asynchronous request, on this thread; its refusal thrown as is. */
  private static <T> T join(CompletableFuture<T> answer) {
    try {
      return answer.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ServiceUnavailableException("interrupted", "The server is shutting down.");
    } catch (ExecutionException e) {
      Throwable cause = unwrap(e);
      throw cause instanceof RuntimeException re ? re : failure(cause);
    }
  }

  /** Why a request stopped early, as the refusal its caller gets. */
  private static RuntimeException stopped(
      Deadline deadline, LiveRequests.Live live, Outcome outcome, int stepsRun) {
    if (deadline.passed()) {
      return new ServiceUnavailableException(
          "timeout",
          "The request ran longer than its "
              + deadline.seconds()
              + " s deadline (queue time included) and was stopped"
              + (stepsRun == 0 ? " before it ran." : " after " + stepsRun + " steps."));
    }
    if (outcome == Outcome.CANCELLED && live.cancelled()) {
      return new ConflictException(
          "request_cancelled",
          null,
          "Request "
              + live.reservation().requestId()
              + " was cancelled (POST /v1/requests/{id}/cancel) after "
              + stepsRun
              + (stepsRun == 1 ? " step." : " steps."));
    }
    return new ClientGoneException(stepsRun);
  }

  /**
   * Settles and forgets the live request; a failure here is logged, and the reservation's lease
   * settles it as EXPIRED later (QuotaLedger#expire).
   */
  public void settle(Reservation reservation, Outcome outcome, int tokens, long units) {
    settle(reservation, outcome, () -> ledger.settle(reservation, outcome, tokens, units));
  }

  /**
   * As {@link #settle(Reservation, Outcome, int, long)}, the ledger written by {@code write} (false
   * when the reservation was settled already): a batch item's end is written with it.
   */
  public void settle(Reservation reservation, Outcome outcome, BooleanSupplier write) {
    metrics.settled(outcome);
    try {
      if (!write.getAsBoolean()) {
        LOG.warning(
            () ->
                "request "
                    + reservation.requestId()
                    + " ended as "
                    + outcome
                    + " but was not kept: it was settled already or lost its lease (a lease"
                    + " shorter than the load needs?)");
      }
    } catch (RuntimeException e) {
      LOG.log(
          Level.SEVERE,
          "could not settle request " + reservation.requestId() + " as " + outcome,
          e);
    } finally {
      requests.close(reservation.requestId()); // after the ledger write: a drain waits for it
    }
  }
}

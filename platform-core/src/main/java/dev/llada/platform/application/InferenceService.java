package dev.llada.platform.application;

import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ClientGoneException;
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
import dev.llada.worker.ModelLimits;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerBusyException;
import dev.llada.worker.WorkerPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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

  @Inject
  @ConfigProperty(name = "llada.request.timeout-seconds", defaultValue = "300")
  long timeoutSeconds;

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
    return pool.encode(model, text);
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
    int[] ids = encode(ref, prompt, promptParam);
    ModelLimits limits = pool.limits(ref);
    int room = limits.maxSequenceLength() - ids.length;
    if (room < 1) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          promptParam,
          "The prompt has "
              + ids.length
              + " tokens; this model's context is "
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
              + " tokens and this model's context is "
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
        p.acceleration());
  }

  /** Reserves the request's usage (429 when a limit would be passed, 503 when unaccountable). */
  public Reservation admit(
      java.util.UUID requestId, Caller caller, PreparedRequest r, String endpoint) {
    return ledger.reserve(
        requestId,
        caller,
        r.ref().name(),
        endpoint,
        r.promptIds().length,
        r.config().genLength(),
        r.computeUnits());
  }

  /** Reserves a request that generates nothing (likelihood): a request slot and its units. */
  public Reservation admit(
      java.util.UUID requestId,
      Caller caller,
      ModelRef model,
      String endpoint,
      int promptTokens,
      long units) {
    return ledger.reserve(requestId, caller, model.name(), endpoint, promptTokens, 0, units);
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
   * built settles as ERROR, so a failed request is never billed as a success.
   */
  public <T> T generate(
      Reservation reservation,
      PreparedRequest r,
      StepEvent.Listener listener,
      BooleanSupplier disconnected,
      Function<GenerationResult, T> respond) {
    AtomicInteger steps = new AtomicInteger();
    AtomicInteger committed = new AtomicInteger();
    AtomicLong computed = new AtomicLong(); // what the forwards that ran computed: the settlement
    AtomicBoolean timedOut = new AtomicBoolean();
    StepEvent.Listener counting =
        e -> {
          steps.incrementAndGet();
          computed.addAndGet(e.queryPositions());
          committed.addAndGet(e.positions()[0].length);
          listener.onStep(e);
        };
    CompletableFuture<GenerationResult> future =
        pool.generate(
            new GenerationJob(
                r.ref(),
                r.promptIds(),
                r.config(),
                r.seed(),
                counting,
                () -> timedOut.get() || disconnected.getAsBoolean(),
                r.acceleration(),
                reservation.tenantId() == null ? "" : reservation.tenantId().toString(),
                1.0)); // fair shares by tenant, equal weights until tenants carry one
    GenerationResult result;
    try {
      result = await(future, timedOut);
    } catch (WorkerBusyException e) { // refused at once: nothing ran
      settle(reservation, Outcome.ERROR, 0, 0);
      if (e.tenantLimit()) {
        throw new QuotaExceededException(
            "tenant_queue_full",
            "Your tenant has as many requests waiting as it may; retry when some have finished.",
            reservation.limits(),
            1);
      }
      throw new ServiceUnavailableException(
          "platform_busy",
          "The platform has as many requests waiting as it can hold; retry later.",
          1);
    } catch (GenerationCancelledException e) {
      Outcome outcome = disconnected.getAsBoolean() ? Outcome.DISCONNECTED : Outcome.CANCELLED;
      settle(reservation, outcome, committed.get(), computed.get());
      throw timedOut.get()
          ? new ServiceUnavailableException(
              "timeout", "The request ran longer than " + timeoutSeconds + " s and was stopped.")
          : new ClientGoneException(e.stepsRun());
    } catch (IllegalArgumentException e) {
      settle(reservation, Outcome.ERROR, 0, computed.get());
      throw new InvalidRequestException(null, e.getMessage());
    } catch (RuntimeException e) {
      settle(reservation, Outcome.ERROR, 0, computed.get());
      throw e;
    }
    T answer;
    try {
      answer = respond.apply(result);
    } catch (ClientGoneException e) { // the client left before the whole answer reached it
      settle(reservation, Outcome.DISCONNECTED, committed.get(), result.computeUnits());
      throw e;
    } catch (RuntimeException e) {
      settle(reservation, Outcome.ERROR, 0, result.computeUnits());
      throw e;
    }
    settle(reservation, Outcome.SUCCESS, result.completionIds().length, result.computeUnits());
    return answer;
  }

  /**
   * Log-likelihood of a continuation, priced as mc_num forwards over the whole sequence; the answer
   * is built by {@code respond} before the request settles (ERROR when it cannot be).
   */
  public <T> T loglikelihood(
      Reservation reservation,
      LikelihoodJob job,
      long units,
      Function<LikelihoodResult, T> respond) {
    AtomicBoolean timedOut = new AtomicBoolean();
    LikelihoodResult result;
    try {
      // the timeout reaches the job: it stops before its next Monte Carlo batch
      result = await(pool.loglikelihood(job.cancelledWhen(timedOut::get)), timedOut);
    } catch (GenerationCancelledException e) {
      int batches = Math.max(1, job.mcNum() / Math.max(1, job.batchSize()));
      settle(reservation, Outcome.CANCELLED, 0, units * e.stepsRun() / batches); // what ran
      throw new ServiceUnavailableException(
          "timeout", "The request ran longer than " + timeoutSeconds + " s and was stopped.");
    } catch (IllegalArgumentException e) {
      settle(reservation, Outcome.ERROR, 0, 0);
      throw new InvalidRequestException(null, e.getMessage());
    } catch (RuntimeException e) {
      settle(reservation, Outcome.ERROR, 0, units);
      throw e;
    }
    T answer;
    try {
      answer = respond.apply(result);
    } catch (RuntimeException e) {
      settle(reservation, Outcome.ERROR, 0, units);
      throw e;
    }
    settle(reservation, Outcome.SUCCESS, 0, units);
    return answer;
  }

  /** Waits for the worker; on timeout flags the job to stop and waits for it to do so. */
  private <T> T await(CompletableFuture<T> future, AtomicBoolean timedOut) {
    try {
      try {
        return future.get(timeoutSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        timedOut.set(true);
        return future.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      timedOut.set(true);
      throw new ServiceUnavailableException("interrupted", "The server is shutting down.");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      LOG.log(Level.SEVERE, "inference failed", cause);
      throw new ServiceUnavailableException("worker_failed", "The inference worker failed.");
    }
  }

  /** Settles; a failure here is logged, and the drift check / reconciliation repairs it. */
  public void settle(Reservation reservation, Outcome outcome, int tokens, long units) {
    try {
      ledger.settle(reservation, outcome, tokens, units);
    } catch (RuntimeException e) {
      LOG.log(
          Level.SEVERE,
          "could not settle request " + reservation.requestId() + " as " + outcome,
          e);
    }
  }
}

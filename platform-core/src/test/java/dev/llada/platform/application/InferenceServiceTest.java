package dev.llada.platform.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.vision.ImageInputException;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.platform.domain.ClientGoneException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.QuotaExceededException;
import dev.llada.platform.domain.ServiceUnavailableException;
import dev.llada.worker.GenerationCancelledException;
import dev.llada.worker.GenerationJob;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelLimits;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerBusyException;
import dev.llada.worker.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Issue #13: a request settles as a success only once its answer is built. Runs the service with a
 * worker that always finishes and a ledger that records what it is told.
 */
class InferenceServiceTest {

  private static final ModelRef MODEL = new ModelRef("m", Path.of("/tmp"), "sha256:00");

  /** What the ledger was told, in order. */
  private final List<String> settled = new ArrayList<>();

  private InferenceService service() {
    InferenceService s = new InferenceService();
    s.timeoutSeconds = 30;
    s.requests = new LiveRequests();
    s.metrics = RequestMetrics.NONE;
    s.ledger =
        new Stubs.Ledger() {
          @Override
          public boolean settle(Reservation r, Outcome outcome, int tokens, long units) {
            settled.add(outcome + " " + tokens + " " + units);
            return true;
          }
        };
    s.pool =
        new WorkerPool() {
          @Override
          public int[] encode(ModelRef model, String text) {
            return new int[text.length()];
          }

          @Override
          public String decode(ModelRef model, int[] ids) {
            return "";
          }

          @Override
          public ModelLimits limits(ModelRef model) {
            return new ModelLimits(64, 16, 1, 2, 4);
          }

          @Override
          public CompletableFuture<GenerationResult> generate(GenerationJob job) {
            return CompletableFuture.completedFuture(
                new GenerationResult(
                    new int[] {3, 4, 5}, "abc", "length", 4, 4, 1, 20)); // cached: less than 4 x 6
          }

          @Override
          public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
            return CompletableFuture.completedFuture(
                new LikelihoodResult(-1.5, Double.NaN, 8, 1, 1));
          }

          @Override
          public dev.llada.worker.WorkerLoad load() {
            return new dev.llada.worker.WorkerLoad(
                java.util.Map.of(), java.util.Map.of(), java.util.Map.of());
          }

          @Override
          public boolean drain(java.time.Duration grace) {
            return true;
          }

          @Override
          public void checkRoom(String tenant) {}

          @Override
          public void close() {}
        };
    return s;
  }

  private static PreparedRequest prepared() {
    return new PreparedRequest(
        MODEL,
        new int[] {1, 2},
        new SamplingConfig(4, 4, 4, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false),
        7,
        24);
  }

  private static Reservation reservation() {
    return new Reservation(UUID.randomUUID(), UUID.randomUUID(), null, 4, 24, null);
  }

  @Test
  void anAnswerThatCannotBeBuiltSettlesAsError() {
    InferenceService s = service();
    assertThrows(
        NumberFormatException.class,
        () ->
            s.generate(
                reservation(),
                prepared(),
                e -> {},
                () -> false,
                r -> {
                  throw new NumberFormatException("NaN");
                }));
    assertEquals(List.of("ERROR 0 20"), settled, "never SUCCESS");
    settled.clear();
    assertThrows(
        NumberFormatException.class,
        () ->
            s.loglikelihood(
                reservation(),
                new LikelihoodJob(MODEL, new int[] {1}, new int[] {2}, 8, 8, 0, 0),
                96,
                () -> false,
                r -> {
                  throw new NumberFormatException("NaN");
                }));
    assertEquals(List.of("ERROR 0 96"), settled);
  }

  /**
   * Issue #16: a likelihood past the request timeout is stopped (the flag reaches the job), answers
   * 503 timeout and settles what ran.
   */
  @Test
  void aLikelihoodPastTheTimeoutStopsAndSettlesTheBatchesThatRan() {
    InferenceService s = service();
    s.timeoutSeconds = 1;
    WorkerPool inner = s.pool;
    s.pool =
        new Delegating(inner) {

          @Override
          public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
            // a slow estimate: 3 of its 8 batches run, then it sees the flag
            return CompletableFuture.supplyAsync(
                () -> {
                  while (!job.cancelled().getAsBoolean()) {
                    Thread.onSpinWait();
                  }
                  throw new GenerationCancelledException("stopped", 3);
                });
          }
        };
    ServiceUnavailableException e =
        assertThrows(
            ServiceUnavailableException.class,
            () ->
                s.loglikelihood(
                    reservation(),
                    new LikelihoodJob(MODEL, new int[] {1}, new int[] {2}, 8, 1, 0, 0),
                    96,
                    () -> false,
                    r -> r));
    assertEquals("timeout", e.code());
    assertEquals(List.of("CANCELLED 0 36"), settled, "3 of 8 batches: 96 x 3 / 8");
  }

  /** Issue #16: a full worker queue refuses at once, 429 for the tenant's share, 503 for all. */
  @Test
  void aFullWorkerQueueIsATooManyRequestsOrAnUnavailableAndCostsNothing() {
    for (boolean tenantLimit : new boolean[] {true, false}) {
      settled.clear();
      InferenceService s = service();
      WorkerPool inner = s.pool;
      s.pool =
          new Delegating(inner) {
            @Override
            public CompletableFuture<GenerationResult> generate(GenerationJob job) {
              return CompletableFuture.failedFuture(new WorkerBusyException(tenantLimit, 64));
            }
          };
      RuntimeException e =
          assertThrows(
              RuntimeException.class,
              () -> s.generate(reservation(), prepared(), ev -> {}, () -> false));
      if (tenantLimit) {
        assertEquals("tenant_queue_full", assertInstanceOf(QuotaExceededException.class, e).code());
      } else {
        ServiceUnavailableException busy = assertInstanceOf(ServiceUnavailableException.class, e);
        assertEquals("platform_busy", busy.code());
        assertEquals(1, busy.retryAfterSeconds(), "with a Retry-After");
      }
      assertEquals(List.of("ERROR 0 0"), settled, "refused before anything ran");
    }
  }

  @Test
  void aStreamWhoseClientLeftAtTheEndSettlesAsDisconnected() {
    InferenceService s = service();
    assertThrows(
        ClientGoneException.class,
        () ->
            s.generate(
                reservation(),
                prepared(),
                e -> {},
                () -> false,
                r -> {
                  throw new ClientGoneException(r.steps());
                }));
    assertEquals(List.of("DISCONNECTED 0 20"), settled);
  }

  @Test
  void aBuiltAnswerSettlesAsSuccessAfterItIsBuilt() {
    InferenceService s = service();
    String answer =
        s.generate(
            reservation(),
            prepared(),
            e -> {},
            () -> false,
            r -> {
              assertEquals(List.of(), settled, "nothing settled while the answer is built");
              return r.text();
            });
    assertEquals("abc", answer);
    assertEquals(List.of("SUCCESS 3 20"), settled);
  }

  @Test
  void textTooLongForTheContextIsRefusedBeforeTheTokenizer() {
    InferenceService s = service();
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class, () -> s.encode(MODEL, "x".repeat(64 * 4 + 1), "prompt"));
    assertEquals("context_length_exceeded", e.code());
    assertEquals("prompt", e.param());
    assertEquals(256, s.encode(MODEL, "x".repeat(256), "prompt").length);
  }

  @Test
  void utf8LengthCountsBytesWithoutEncoding() {
    for (String s : new String[] {"", "abc", "héllo", "世界", "😀x"}) {
      assertEquals(
          s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
          InferenceService.utf8Length(s),
          s);
    }
  }

  /** A pool that passes everything to {@code inner}; a test overrides what it changes. */
  private static class Delegating implements WorkerPool {
    private final WorkerPool inner;

    Delegating(WorkerPool inner) {
      this.inner = inner;
    }

    @Override
    public int[] encode(ModelRef model, String text) {
      return inner.encode(model, text);
    }

    @Override
    public String decode(ModelRef model, int[] ids) {
      return inner.decode(model, ids);
    }

    @Override
    public ModelLimits limits(ModelRef model) {
      return inner.limits(model);
    }

    @Override
    public CompletableFuture<GenerationResult> generate(GenerationJob job) {
      return inner.generate(job);
    }

    @Override
    public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
      return inner.loglikelihood(job);
    }

    @Override
    public dev.llada.worker.WorkerLoad load() {
      return inner.load();
    }

    @Override
    public boolean drain(java.time.Duration grace) {
      return inner.drain(grace);
    }

    @Override
    public void checkRoom(String tenant) {
      inner.checkRoom(tenant);
    }

    @Override
    public void checkFits(ModelRef model) {
      inner.checkFits(model);
    }

    @Override
    public void close() {}
  }

  /** Issue #16: work a draining worker refuses or stops is a 503 shutting_down, settled. */
  @Test
  void aStoppingWorkerIsAnUnavailableWithRetryAfter() {
    InferenceService s = service();
    s.pool =
        new Delegating(s.pool) {
          @Override
          public CompletableFuture<GenerationResult> generate(GenerationJob job) {
            return CompletableFuture.failedFuture(
                new dev.llada.worker.WorkerStoppingException("the worker is shutting down"));
          }
        };
    ServiceUnavailableException e =
        assertThrows(
            ServiceUnavailableException.class,
            () -> s.generate(reservation(), prepared(), ev -> {}, () -> false));
    assertEquals("shutting_down", e.code());
    assertEquals(1, e.retryAfterSeconds());
    assertEquals(List.of("CANCELLED 0 0"), settled);
  }

  /**
   * Issue #16, item 4: a fault at each point of a request's life — the dispatch throws, the batch
   * fails mid-way, the worker dies of an Error, the settlement itself fails — ends in exactly one
   * settlement attempt, the request is no longer live, and the caller gets a clear refusal (or its
   * answer, when only the settlement failed: the lease then settles it as EXPIRED).
   */
  @Test
  void aFaultAtEachPointOfARequestsLifeSettlesItOnce() {
    record Fault(
        String name,
        java.util.function.Supplier<CompletableFuture<GenerationResult>> run,
        Class<? extends Throwable> refusal,
        String settlement) {}
    List<Fault> faults =
        List.of(
            new Fault(
                "before dispatch",
                () -> {
                  throw new IllegalStateException("dispatch failed");
                },
                IllegalStateException.class,
                "ERROR 0 0"),
            new Fault(
                "mid-batch",
                () -> CompletableFuture.failedFuture(new RuntimeException("forward failed")),
                RuntimeException.class,
                "ERROR 0 0"),
            new Fault(
                "the worker dies",
                () -> CompletableFuture.failedFuture(new OutOfMemoryError("native")),
                ServiceUnavailableException.class,
                "ERROR 0 0"));
    for (Fault f : faults) {
      settled.clear();
      InferenceService s = service();
      s.pool =
          new Delegating(s.pool) {
            @Override
            public CompletableFuture<GenerationResult> generate(GenerationJob job) {
              return f.run().get();
            }
          };
      Reservation r = reservation();
      s.requests.open(r, "client-" + f.name());
      Throwable thrown =
          assertThrows(Throwable.class, () -> s.generate(r, prepared(), ev -> {}, () -> false));
      assertInstanceOf(f.refusal(), thrown, f.name());
      assertEquals(List.of(f.settlement()), settled, f.name());
      assertEquals(List.of(), s.requests.all(), f.name() + ": no longer live");
    }
    // at settlement: the ledger fails; the answer still reaches the caller, the request is not live
    settled.clear();
    InferenceService s = service();
    s.ledger =
        new Stubs.Ledger() {
          @Override
          public boolean settle(Reservation r, Outcome outcome, int tokens, long units) {
            settled.add(outcome + " attempted");
            throw new dev.llada.platform.domain.ServiceUnavailableException(
                "quota_unavailable", "the ledger is down");
          }
        };
    Reservation r = reservation();
    s.requests.open(r, null);
    assertEquals("abc", s.generate(r, prepared(), ev -> {}, () -> false).text());
    assertEquals(List.of("SUCCESS attempted"), settled);
    assertEquals(List.of(), s.requests.all());
  }

  /** Issue #16: a full queue is refused before anything is reserved (no database on that path). */
  @Test
  void aFullQueueIsRefusedBeforeTheReservation() {
    InferenceService s = service();
    s.pool =
        new Delegating(s.pool) {
          @Override
          public void checkRoom(String tenant) {
            throw new WorkerBusyException(true, 64);
          }
        };
    dev.llada.platform.domain.Caller caller = tenantCaller();
    QuotaExceededException e =
        assertThrows(
            QuotaExceededException.class,
            () -> s.admit(UUID.randomUUID(), null, null, caller, prepared(), "/v1/completions"));
    assertEquals("tenant_queue_full", e.code());
    assertEquals(List.of(), settled, "nothing reserved, nothing to settle");
  }

  private static dev.llada.worker.ModelDoesNotFitException tooLarge() {
    return new dev.llada.worker.ModelDoesNotFitException(
        "m", new dev.llada.worker.ModelFootprint(3L << 30, 1L << 30), 1L << 30, "cpu");
  }

  /**
   * Issue #16 item 3: a model too large for the worker's memory is a 503 model_does_not_fit that
   * says what it needs and what an operator can change, without Retry-After (retrying does not
   * help); refused before the reservation, or settled at 0 when the worker finds it later.
   */
  @Test
  void aModelTooLargeForTheWorkerIsAClearUnavailableChargedNothing() {
    InferenceService s = service();
    s.pool =
        new Delegating(s.pool) {
          @Override
          public void checkFits(ModelRef model) {
            throw tooLarge();
          }
        };
    dev.llada.platform.domain.Caller caller = tenantCaller();
    ServiceUnavailableException before =
        assertThrows(
            ServiceUnavailableException.class,
            () -> s.admit(UUID.randomUUID(), null, null, caller, prepared(), "/v1/completions"));
    assertEquals("model_does_not_fit", before.code());
    assertEquals(0, before.retryAfterSeconds());
    assertTrue(
        before.getMessage().contains("needs 4.0 GiB on cpu")
            && before.getMessage().contains("LLADA_WORKER_MEMORY"),
        before.getMessage());
    assertEquals(
        "model_does_not_fit",
        assertThrows(
                ServiceUnavailableException.class,
                () ->
                    s.admit(
                        UUID.randomUUID(), null, null, caller, MODEL, "/v1/loglikelihood", 2, 96))
            .code());
    assertEquals(List.of(), settled, "nothing reserved");

    InferenceService later = service();
    later.pool =
        new Delegating(later.pool) {
          @Override
          public CompletableFuture<GenerationResult> generate(GenerationJob job) {
            return CompletableFuture.failedFuture(tooLarge());
          }

          @Override
          public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
            return CompletableFuture.failedFuture(tooLarge());
          }
        };
    assertEquals(
        "model_does_not_fit",
        assertThrows(
                ServiceUnavailableException.class,
                () -> later.generate(reservation(), prepared(), ev -> {}, () -> false))
            .code());
    assertEquals(
        "model_does_not_fit",
        assertThrows(
                ServiceUnavailableException.class,
                () ->
                    later.loglikelihood(
                        reservation(),
                        new LikelihoodJob(MODEL, new int[] {1}, new int[] {2}, 8, 8, 0, 0),
                        96,
                        () -> false,
                        r -> r))
            .code());
    assertEquals(List.of("ERROR 0 0", "ERROR 0 0"), settled);
  }

  /** A tenant's key that may run models. */
  private static dev.llada.platform.domain.Caller tenantCaller() {
    return new dev.llada.platform.domain.Caller(
        UUID.randomUUID(),
        "acme",
        UUID.randomUUID(),
        "llk_k",
        java.util.Set.of(dev.llada.platform.domain.Scope.INFERENCE),
        false);
  }

  /** Issue #16: a generation carries its tenant's queue weight to the worker's fair share. */
  @Test
  void aGenerationCarriesItsTenantsQueueWeight() {
    InferenceService s = service();
    List<Double> weights = new ArrayList<>();
    s.pool =
        new Delegating(s.pool) {
          @Override
          public CompletableFuture<GenerationResult> generate(GenerationJob job) {
            weights.add(job.weight());
            return super.generate(job);
          }
        };
    Reservation heavy = new Reservation(UUID.randomUUID(), UUID.randomUUID(), null, 4, 24, null, 7);
    s.generate(heavy, prepared(), e -> {}, () -> false);
    s.generate(reservation(), prepared(), e -> {}, () -> false);
    assertEquals(List.of(7.0, 1.0), weights);
  }

  /** A likelihood stopped by a shutdown pays for the Monte Carlo batches that ran (3 of 4). */
  @Test
  void aLikelihoodStoppedByAShutdownPaysForTheBatchesThatRan() {
    InferenceService s = service();
    s.pool =
        new Delegating(s.pool) {
          @Override
          public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
            return CompletableFuture.failedFuture(
                new dev.llada.worker.WorkerStoppingException("the worker pool is shut down", 3));
          }
        };
    ServiceUnavailableException e =
        assertThrows(
            ServiceUnavailableException.class,
            () ->
                s.loglikelihood(
                    reservation(),
                    new LikelihoodJob(MODEL, new int[] {1}, new int[] {2}, 8, 2, 0, 0),
                    96,
                    () -> false,
                    r -> r));
    assertEquals("shutting_down", e.code());
    assertEquals(List.of("CANCELLED 0 72"), settled);
  }

  /** A pool whose model reads images of 10 positions each: each character one token. */
  private static class Seeing extends Delegating {
    final List<GenerationJob> jobs = new ArrayList<>();

    Seeing(WorkerPool inner) {
      super(inner);
    }

    @Override
    public int tokensPerImage(ModelRef model) {
      return 10;
    }

    @Override
    public ImagePrompt encode(ModelRef model, String text, int images) {
      String[] pieces = text.split(java.util.regex.Pattern.quote(ImagePrompt.PLACEHOLDER), -1);
      if (pieces.length - 1 != images) {
        throw new ImageInputException(
            ImageInputException.Reason.IMAGE_COUNT_MISMATCH, "placeholders and images differ");
      }
      int[] starts = new int[images];
      int at = 0;
      for (int k = 0; k < pieces.length; k++) {
        at += pieces[k].length();
        if (k < images) {
          starts[k] = at;
          at += 10;
        }
      }
      return new ImagePrompt(new int[at], starts, 10);
    }

    @Override
    public CompletableFuture<GenerationResult> generate(GenerationJob job) {
      jobs.add(job);
      return super.generate(job);
    }
  }

  private static DiffusionParams knobs(int genLength, double cfg) {
    return new DiffusionParams(4, genLength, null, 0.0, cfg, null, 1L, null);
  }

  private static String refused(Runnable r) {
    InvalidRequestException e = assertThrows(InvalidRequestException.class, r::run);
    return e.code() + " " + e.param();
  }

  /**
   * Issue #20: a prompt's images are priced as their positions of prompt tokens and reach the
   * worker with the job; where images cannot go, the refusal is a 400 before anything is reserved.
   */
  @Test
  void imagesArePricedByTheirPositionsAndRefusedWhereTheyCannotGo() {
    InferenceService s = service();
    Seeing seeing = new Seeing(s.pool);
    WorkerPool textOnly = s.pool;
    s.pool = seeing;
    float[] pixels = new float[12];
    PreparedRequest r = s.prepare(MODEL, "<image>\nab", "messages", knobs(8, 0), List.of(pixels));
    assertEquals(3 + 10, r.promptIds().length, "the image's 10 positions are prompt tokens");
    assertEquals(4L * (13 + 8), r.computeUnits());
    assertEquals(
        List.of(0), java.util.Arrays.stream(r.images().prompt().imageStarts()).boxed().toList());
    s.generate(reservation(), r, e -> {}, () -> false);
    assertEquals(1, seeing.jobs.size());
    assertEquals(r.images(), seeing.jobs.get(0).images(), "the images reach the worker");
    assertNull(
        s.prepare(MODEL, "x", "messages", knobs(8, 0), List.of()).images(),
        "no images: a text-only request");
    assertEquals(
        "unsupported_parameter cfg_scale",
        refused(() -> s.prepare(MODEL, "<image>", "messages", knobs(8, 1.5), List.of(pixels))));
    List<float[]> seven = java.util.Collections.nCopies(7, pixels);
    assertEquals(
        "context_length_exceeded messages",
        refused(() -> s.checkImages(MODEL, "<image>".repeat(7), 7, knobs(8, 0), "messages")),
        "70 image positions in a context of 64");
    assertEquals(
        "context_length_exceeded messages",
        refused(() -> s.prepare(MODEL, "<image>".repeat(7), "messages", knobs(8, 0), seven)));
    assertEquals(
        "context_length_exceeded gen_length",
        refused(
            () ->
                s.prepare(
                    MODEL,
                    "<image>".repeat(5) + "abc",
                    "messages",
                    knobs(20, 0),
                    java.util.Collections.nCopies(5, pixels))),
        "53 prompt positions leave 11 of 64");
    assertEquals(
        "image_count_mismatch messages",
        refused(
            () -> s.prepare(MODEL, "no placeholder", "messages", knobs(8, 0), List.of(pixels))));
    s.pool = textOnly;
    assertEquals(
        "image_not_supported messages",
        refused(() -> s.prepare(MODEL, "<image>", "messages", knobs(8, 0), List.of(pixels))));
  }
}

package dev.llada.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.weights.ModelDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The in-process worker on the shipped tiny Instruct model. */
class LocalWorkerPoolTest {

  private static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");

  /** A budget that holds the tiny models many times over. */
  static final long MEMORY = 1L << 30;

  private static LocalWorkerPool pool;
  private static ModelRef model;

  @BeforeAll
  static void start() {
    pool = new LocalWorkerPool(Thread::new, "cpu", MEMORY);
    model =
        new ModelRef("llada-tiny-instruct", INSTRUCT, ModelDirectory.describe(INSTRUCT).digest());
  }

  @AfterAll
  static void stop() {
    pool.close();
    pool.close(); // twice is harmless
  }

  private static int[] chat(String user) {
    return pool.encode(model, ChatTemplate.render(List.of(new ChatTemplate.Message("user", user))));
  }

  private static SamplingConfig greedy(int steps, int genLength) {
    return new SamplingConfig(
        steps, genLength, genLength, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false);
  }

  /**
   * A bf16 worker (llada.worker.dtype): the tiny Instruct loaded in bfloat16 answers as f32 does.
   */
  @Test
  void aBf16WorkerServesTheDenseModelInHalfTheWeightBytes() throws Exception {
    try (LocalWorkerPool bf16 =
        new LocalWorkerPool(
            Thread::new,
            "cpu",
            MEMORY,
            4,
            LocalWorkerPool.DEFAULT_MAX_QUEUED_PER_TENANT,
            LocalWorkerPool.DEFAULT_MAX_QUEUED,
            ModelLoader.in(dev.llada.core.model.Precision.BFLOAT16))) {
      assertEquals(pool.footprint(model).weightBytes() / 2, bf16.footprint(model).weightBytes());
      GenerationJob job = new GenerationJob(model, chat("sort 5132:"), greedy(8, 8), 1, null, null);
      GenerationResult a = bf16.generate(job).get(60, TimeUnit.SECONDS);
      GenerationResult f32 = pool.generate(job).get(60, TimeUnit.SECONDS);
      assertEquals(8, a.nfe());
      // the tiny model's answer is far from any near tie: bf16 gives f32's tokens
      assertEquals(f32.text(), a.text());
    }
  }

  @Test
  void generatesOnTheInferenceThreadAndReportsEveryStep() throws Exception {
    List<String> threads = new ArrayList<>();
    GenerationResult r =
        pool.generate(
                new GenerationJob(
                    model,
                    chat("sort 5132:"),
                    greedy(8, 8),
                    1,
                    e -> threads.add(Thread.currentThread().getName()),
                    null))
            .get(60, TimeUnit.SECONDS);
    assertEquals(8, r.steps());
    assertEquals(8, r.nfe());
    assertEquals(8, threads.size());
    assertTrue(
        threads.stream().allMatch(n -> n.startsWith("llada-inference-")), threads.toString());
    assertTrue(r.completionIds().length <= 8);
    assertEquals(pool.decode(model, r.completionIds()), r.text());
    assertTrue(r.finishReason().equals("stop") || r.finishReason().equals("length"));
  }

  @Test
  void equalSeedsGiveEqualOutputsAtAnyTemperature() throws Exception {
    SamplingConfig hot =
        new SamplingConfig(8, 8, 8, 1.0, 0.0, Remasking.LOW_CONFIDENCE, false, false);
    int[] prompt = chat("reverse abcdef:");
    GenerationResult a = pool.generate(new GenerationJob(model, prompt, hot, 7, null, null)).get();
    GenerationResult b = pool.generate(new GenerationJob(model, prompt, hot, 7, null, null)).get();
    assertArrayEquals(a.completionIds(), b.completionIds());
  }

  @Test
  void aCancelledGenerationStopsBetweenStepsAndSaysHowManyRan() {
    AtomicInteger seen = new AtomicInteger();
    var future =
        pool.generate(
            new GenerationJob(
                model,
                chat("sort 98765:"),
                greedy(16, 16),
                1,
                e -> seen.incrementAndGet(),
                () -> seen.get() >= 3));
    ExecutionException e = assertThrows(ExecutionException.class, future::get);
    GenerationCancelledException c =
        assertInstanceOf(GenerationCancelledException.class, e.getCause());
    assertEquals(3, c.stepsRun());
  }

  @Test
  void aJobCancelledBeforeItStartsRunsNoStep() {
    var future =
        pool.generate(new GenerationJob(model, chat("x"), greedy(4, 4), 1, null, () -> true));
    ExecutionException e = assertThrows(ExecutionException.class, future::get);
    assertEquals(0, assertInstanceOf(GenerationCancelledException.class, e.getCause()).stepsRun());
  }

  @Test
  void tooLongARequestFailsWithTheSamplersMessage() {
    int max = pool.limits(model).maxSequenceLength();
    var future =
        pool.generate(new GenerationJob(model, chat("sort 1:"), greedy(max, max), 1, null, null));
    ExecutionException e = assertThrows(ExecutionException.class, future::get);
    assertInstanceOf(IllegalArgumentException.class, e.getCause());
    assertTrue(
        e.getCause().getMessage().contains("max_sequence_length"), e.getCause().getMessage());
  }

  /**
   * Continuous batching: generations submitted together (different prompts, lengths, samplers)
   * share forwards and each gives what it gives served alone; a likelihood sent meanwhile answers
   * between two steps, before the long generations finish.
   */
  @Test
  void concurrentGenerationsShareStepsAndEachGivesItsSoloAnswer() throws Exception {
    List<GenerationJob> jobs = new ArrayList<>();
    String[] prompts = {"sort 98765:", "reverse abcdef:", "12+34=", "sort 31:", "reverse qwerty:"};
    for (int i = 0; i < prompts.length; i++) {
      SamplingConfig config = greedy(8 + 8 * (i % 3), 8 + 8 * (i % 3));
      dev.llada.core.sampling.Acceleration fast =
          i % 2 == 1
              ? new dev.llada.core.sampling.Acceleration(
                  dev.llada.core.sampling.ParallelDecoding.threshold(0.9),
                  dev.llada.core.sampling.Acceleration.Cache.DUAL,
                  true,
                  true)
              : null;
      jobs.add(new GenerationJob(model, chat(prompts[i]), config, i, null, null, fast));
    }
    List<GenerationResult> solo = new ArrayList<>();
    try (LocalWorkerPool one = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 1)) {
      for (GenerationJob j : jobs) {
        solo.add(one.generate(j).get(60, TimeUnit.SECONDS));
      }
    }
    List<java.util.concurrent.CompletableFuture<GenerationResult>> together = new ArrayList<>();
    for (GenerationJob j : jobs) {
      together.add(pool.generate(j));
    }
    var likelihood =
        pool.loglikelihood(
            new LikelihoodJob(model, chat("sort 321:"), pool.encode(model, "123"), 8, 4, 0.0, 3));
    likelihood.get(60, TimeUnit.SECONDS);
    assertTrue(
        together.stream().anyMatch(f -> !f.isDone()),
        "the likelihood answered between steps, not after every generation");
    for (int i = 0; i < jobs.size(); i++) {
      GenerationResult r = together.get(i).get(60, TimeUnit.SECONDS);
      assertArrayEquals(solo.get(i).completionIds(), r.completionIds(), "job " + i);
      assertEquals(solo.get(i).nfe(), r.nfe(), "job " + i);
      assertEquals(solo.get(i).computeUnits(), r.computeUnits(), "job " + i);
    }
  }

  private static GenerationJob of(String tenant, String prompt, int steps) {
    return new GenerationJob(
        model, chat(prompt), greedy(steps, steps), 1, null, null, null, tenant, 1);
  }

  /** Fair share: a tenant's one request is not stuck behind another tenant's flood. */
  @Test
  void aLightTenantIsNotStarvedByAFlood() throws Exception {
    try (LocalWorkerPool fair = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 4)) {
      fair.generate(of("warm", "x", 4)).get(60, TimeUnit.SECONDS); // loads the model
      List<java.util.concurrent.CompletableFuture<GenerationResult>> flood = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        flood.add(fair.generate(of("a", "sort 9876" + i + ":", 32)));
      }
      GenerationResult b = fair.generate(of("b", "sort 21:", 8)).get(60, TimeUnit.SECONDS);
      long floodDone =
          flood.stream().filter(java.util.concurrent.CompletableFuture::isDone).count();
      assertTrue(floodDone <= 1, "b finished while " + floodDone + " of a's 12 were done");
      assertEquals(8, b.nfe());
      for (var f : flood) {
        assertEquals(32, f.get(120, TimeUnit.SECONDS).nfe(), "the flood still completes");
      }
    }
  }

  /**
   * Issue #16, item 6: the pool tells its load (waiting by model and tenant, running, resident
   * bytes) and reports every wait and every batched step with its positions.
   */
  @Test
  void theLoadAndEveryWaitAndStepAreReported() throws Exception {
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicLong positions = new java.util.concurrent.atomic.AtomicLong();
    WorkerMetrics metrics =
        new WorkerMetrics() {
          @Override
          public void waited(String m, double seconds) {
            seen.add("waited " + m + (seconds >= 0 ? "" : " negative"));
          }

          @Override
          public void stepped(String m, double seconds, long p) {
            seen.add("stepped " + m);
            positions.addAndGet(p);
          }
        };
    try (LocalWorkerPool p =
        new LocalWorkerPool(Thread::new, "cpu", MEMORY, 1).observedBy(metrics)) {
      var first =
          p.generate(
              new GenerationJob(
                  model,
                  chat("x"),
                  greedy(2, 2),
                  1,
                  e -> {
                    inside.countDown();
                    try {
                      release.await(60, TimeUnit.SECONDS); // holds the inference thread
                    } catch (InterruptedException ie) {
                      Thread.currentThread().interrupt();
                    }
                  },
                  null,
                  null,
                  "z",
                  1));
      assertTrue(inside.await(60, TimeUnit.SECONDS));
      var a = p.generate(of("a", "sort 1:", 2));
      var b = p.generate(of("b", "sort 2:", 2));
      var b2 = p.generate(of("b", "sort 3:", 2));
      WorkerLoad load = p.load();
      assertEquals(1, load.waiting().get(new WorkerLoad.Queue(model.name(), "a")));
      assertEquals(2, load.waiting().get(new WorkerLoad.Queue(model.name(), "b")));
      assertEquals(3, load.waitingTotal());
      release.countDown();
      for (var f : List.of(first, a, b, b2)) {
        f.get(60, TimeUnit.SECONDS);
      }
      WorkerLoad after = p.load();
      assertEquals(0, after.waitingTotal());
      assertTrue(after.residentBytes().get("cpu") > 0, after.toString());
      assertEquals(
          4,
          seen.stream().filter(x -> x.equals("waited " + model.name())).count(),
          seen.toString());
      assertEquals(
          8,
          seen.stream().filter(x -> x.equals("stepped " + model.name())).count(),
          seen.toString());
      long canvas = chat("x").length; // every step here is a full forward over its canvas
      assertTrue(positions.get() >= 8 * canvas, positions + " positions");
    }
  }

  /**
   * Graceful drain: new work is refused at once, work taken finishes within the grace; what is
   * still running after it fails with WorkerStoppingException when the pool closes.
   */
  @Test
  void aDrainFinishesWhatItTookAndRefusesTheRest() throws Exception {
    try (LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 2)) {
      p.generate(of("warm", "x", 2)).get(60, TimeUnit.SECONDS);
      var taken = p.generate(of("a", "sort 12:", 8));
      assertTrue(p.drain(java.time.Duration.ofSeconds(60)), "finished within the grace");
      assertEquals(8, taken.get(1, TimeUnit.SECONDS).nfe());
      ExecutionException refused =
          assertThrows(ExecutionException.class, p.generate(of("a", "sort 3:", 2))::get);
      assertInstanceOf(WorkerStoppingException.class, refused.getCause());
      ExecutionException refusedToo =
          assertThrows(
              ExecutionException.class,
              p.loglikelihood(new LikelihoodJob(model, chat("a"), chat("b"), 2, 2, 0, 0))::get);
      assertInstanceOf(WorkerStoppingException.class, refusedToo.getCause());
    }
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 2);
    var stuck =
        p.generate(
            new GenerationJob(
                model,
                chat("x"),
                greedy(64, 64),
                1,
                e -> {
                  try {
                    release.await(50, TimeUnit.MILLISECONDS); // a slow step
                  } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                  }
                },
                null,
                null,
                "z",
                1));
    assertTrue(!p.drain(java.time.Duration.ofMillis(200)), "still running after the grace");
    p.close();
    ExecutionException failed = assertThrows(ExecutionException.class, stuck::get);
    assertInstanceOf(WorkerStoppingException.class, failed.getCause());
  }

  /** Bounded queues refuse at once; a waiting request whose caller gave up goes without running. */
  @Test
  void fullQueuesRefuseAtOnceAndGivenUpRequestsNeverRun() throws Exception {
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    try (LocalWorkerPool small = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 1, 2, 3)) {
      GenerationJob blocker =
          new GenerationJob(
              model,
              chat("x"),
              greedy(2, 2),
              1,
              e -> {
                inside.countDown();
                try {
                  release.await(60, TimeUnit.SECONDS); // holds the inference thread
                } catch (InterruptedException ie) {
                  Thread.currentThread().interrupt();
                }
              },
              null,
              null,
              "z",
              1);
      var first = small.generate(blocker);
      assertTrue(inside.await(60, TimeUnit.SECONDS));
      var a1 = small.generate(of("a", "sort 1:", 2));
      java.util.concurrent.atomic.AtomicBoolean gaveUp =
          new java.util.concurrent.atomic.AtomicBoolean();
      var a2 =
          small.generate(
              new GenerationJob(
                  model, chat("sort 2:"), greedy(2, 2), 1, null, gaveUp::get, null, "a", 1));
      var a3 = small.generate(of("a", "sort 3:", 2));
      ExecutionException tenantFull = assertThrows(ExecutionException.class, a3::get);
      assertTrue(assertInstanceOf(WorkerBusyException.class, tenantFull.getCause()).tenantLimit());
      var b1 = small.generate(of("b", "sort 4:", 2));
      var b2 = small.generate(of("b", "sort 5:", 2));
      ExecutionException platformFull = assertThrows(ExecutionException.class, b2::get);
      assertTrue(
          !assertInstanceOf(WorkerBusyException.class, platformFull.getCause()).tenantLimit());
      gaveUp.set(true);
      release.countDown();
      first.get(60, TimeUnit.SECONDS);
      a1.get(60, TimeUnit.SECONDS);
      b1.get(60, TimeUnit.SECONDS);
      ExecutionException dropped = assertThrows(ExecutionException.class, a2::get);
      assertEquals(
          0, assertInstanceOf(GenerationCancelledException.class, dropped.getCause()).stepsRun());
    }
  }

  /**
   * With memory for one model, a job of another waits for the running batch instead of overloading.
   */
  @Test
  void aJobOfAnotherModelWaitsWhileEveryResidentModelIsBusy() throws Exception {
    Path base = Path.of("..", "models", "llada-tiny-base");
    ModelRef other = new ModelRef("llada-tiny-base", base, ModelDirectory.describe(base).digest());
    long room = (long) (1.5 * footprint(4)); // one model's footprint, not two
    try (LocalWorkerPool one = new LocalWorkerPool(Thread::new, "cpu", room, 4)) {
      one.generate(of("warm", "x", 2)).get(60, TimeUnit.SECONDS); // the Instruct model resident
      var busy = one.generate(of("a", "sort 98765:", 32));
      var waits =
          one.generate(
              new GenerationJob(
                  other, chat("sort 21:"), greedy(4, 4), 1, null, null, null, "b", 1));
      GenerationResult later = waits.get(60, TimeUnit.SECONDS);
      assertTrue(busy.isDone(), "the other model's job ran only after the busy batch finished");
      assertEquals(4, later.nfe());
    }
  }

  @Test
  void closingAnswersEverythingInFlightAndWaitingAndRefusesWhatComesAfter() throws Exception {
    LocalWorkerPool closing = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 2);
    List<java.util.concurrent.CompletableFuture<GenerationResult>> futures = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      futures.add(closing.generate(of("t" + (i % 3), "sort 5432" + i + ":", 32)));
    }
    closing.close();
    for (var f : futures) {
      try {
        f.get(60, TimeUnit.SECONDS); // answered, or failed: never left hanging
      } catch (ExecutionException e) {
        assertInstanceOf(IllegalStateException.class, e.getCause());
      }
    }
    ExecutionException after =
        assertThrows(ExecutionException.class, () -> closing.generate(of("t", "x", 2)).get());
    assertInstanceOf(IllegalStateException.class, after.getCause());
  }

  @Test
  void aCancelledLikelihoodStopsBetweenBatchesAndSaysHowManyRan() {
    AtomicInteger asked = new AtomicInteger();
    var future =
        pool.loglikelihood(
            new LikelihoodJob(
                model,
                chat("sort 321:"),
                pool.encode(model, "123"),
                16,
                2,
                0.0,
                3,
                () -> asked.incrementAndGet() > 3)); // before it runs, then before batches 1, 2, 3
    ExecutionException e = assertThrows(ExecutionException.class, future::get);
    assertEquals(2, assertInstanceOf(GenerationCancelledException.class, e.getCause()).stepsRun());
  }

  @Test
  void estimatesALogLikelihood() throws Exception {
    LikelihoodResult r =
        pool.loglikelihood(
                new LikelihoodJob(
                    model, chat("sort 321:"), pool.encode(model, "123"), 8, 4, 0.0, 3))
            .get();
    assertTrue(r.logLikelihood() < 0 && Double.isFinite(r.logLikelihood()), r.toString());
    assertEquals(8, r.mcNum());
    assertEquals(2, r.nfe());
  }

  /**
   * A likelihood runs one Monte Carlo batch per turn of the inference thread: a generation sent
   * after a long estimate finishes first, and the estimate is the one LogLikelihood gives alone.
   */
  @Test
  void aLongLikelihoodTakesTurnsWithTheBatchesAndEstimatesTheSame() throws Exception {
    int[] context = chat("sort 321:");
    int[] continuation = pool.encode(model, "123");
    pool.generate(of("warm", "x", 2)).get(60, TimeUnit.SECONDS);
    var estimate = pool.loglikelihood(new LikelihoodJob(model, context, continuation, 96, 1, 0, 5));
    GenerationResult g = pool.generate(of("b", "sort 21:", 8)).get(60, TimeUnit.SECONDS);
    assertEquals(8, g.nfe());
    assertTrue(!estimate.isDone(), "the generation did not wait for all 96 batches");
    LikelihoodResult r = estimate.get(60, TimeUnit.SECONDS);
    try (var alone = dev.llada.core.model.DjlMaskPredictor.load(model.directory(), "cpu")) {
      var direct =
          new dev.llada.core.likelihood.LogLikelihood(alone)
              .estimate(context, continuation, 96, 1, 0, new java.util.SplittableRandom(5));
      assertEquals(direct.logLikelihood(), r.logLikelihood(), 1e-9);
      assertEquals(direct.standardError(), r.standardError(), 1e-9);
    }
  }

  /** Likelihoods are bounded too: past maxQueued taken, one is refused at once (503's cause). */
  @Test
  void aFloodOfLikelihoodsIsRefusedPastTheQueueBound() throws Exception {
    try (LocalWorkerPool small = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 1, 2, 3)) {
      int[] context = chat("sort 321:");
      int[] continuation = small.encode(model, "123");
      List<java.util.concurrent.CompletableFuture<LikelihoodResult>> taken = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        taken.add(
            small.loglikelihood(new LikelihoodJob(model, context, continuation, 64, 1, 0, i)));
      }
      ExecutionException refused =
          assertThrows(
              ExecutionException.class,
              small.loglikelihood(new LikelihoodJob(model, context, continuation, 4, 1, 0, 9))
                  ::get);
      assertTrue(
          !assertInstanceOf(WorkerBusyException.class, refused.getCause()).tenantLimit(),
          "the platform's bound");
      for (var f : taken) {
        assertEquals(64, f.get(120, TimeUnit.SECONDS).mcNum());
      }
      assertEquals(
          4,
          small
              .loglikelihood(new LikelihoodJob(model, context, continuation, 4, 1, 0, 9))
              .get(60, TimeUnit.SECONDS)
              .mcNum(),
          "room again once they are done");
    }
  }

  // --- model loading and memory admission (issue #16 item 3) ----------------------------------

  /** The zoo model under another digest: another model, as far as the worker knows. */
  private static ModelRef alias(String digest) {
    return new ModelRef("alias-" + digest, INSTRUCT, "sha256:" + digest);
  }

  private static GenerationJob on(ModelRef m, String tenant, int steps) {
    return new GenerationJob(
        m, chat("sort 42:"), greedy(steps, steps), 1, null, null, null, tenant, 1);
  }

  /** What one tiny model reserves in a pool of {@code maxBatch}. */
  private static long footprint(int maxBatch) {
    return ModelFootprint.of(
            dev.llada.core.config.LladaConfig.read(INSTRUCT),
            maxBatch,
            dev.llada.core.sampling.StepBatcher.DEFAULT_MAX_LOGITS_VALUES)
        .bytes();
  }

  /**
   * A cold model loads on the loading thread: while it loads (held here by a latch), another
   * model's generation runs and answers; then the cold one's request runs too.
   */
  @Test
  void aColdModelLoadsOffTheInferenceThreadWhileOthersAnswer() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch loading = new java.util.concurrent.CountDownLatch(1);
    List<String> loadThreads = java.util.Collections.synchronizedList(new ArrayList<>());
    ModelLoader slow =
        (m, device) -> {
          loadThreads.add(Thread.currentThread().getName());
          if (m.digest().equals("sha256:cold")) {
            loading.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return ModelLoader.DJL.load(m, device);
        };
    try (LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", MEMORY, 4, 8, 8, slow)) {
      assertColdLoadRunsAside(p, loading, release, loadThreads);
    } finally {
      release.countDown(); // never leave the loading thread blocked
    }
  }

  private void assertColdLoadRunsAside(
      LocalWorkerPool p,
      java.util.concurrent.CountDownLatch loading,
      java.util.concurrent.CountDownLatch release,
      List<String> loadThreads)
      throws Exception {
    {
      var warm = p.generate(on(alias("warm"), "b", 4));
      warm.get(60, TimeUnit.SECONDS); // resident now
      var cold = p.generate(on(alias("cold"), "a", 4));
      assertTrue(loading.await(30, TimeUnit.SECONDS), "the cold model's load started");
      GenerationResult other = p.generate(on(alias("warm"), "b", 4)).get(60, TimeUnit.SECONDS);
      assertEquals(4, other.steps(), "another model answers while the cold one loads");
      assertFalse(cold.isDone(), "the cold model's request waits for its load");
      release.countDown();
      assertEquals(4, cold.get(60, TimeUnit.SECONDS).steps());
      assertTrue(
          loadThreads.stream().allMatch(n -> n.startsWith("llada-loader-")),
          loadThreads.toString());
      assertEquals(
          2 * footprint(4), p.load().residentBytes().get("cpu"), "both fit, both stay resident");
    }
  }

  /**
   * Unloading is by memory, least recently used first: with room for two models and a half, A, B,
   * A, C unloads B (A was used since), and B then unloads A; nothing else is loaded twice.
   */
  @Test
  void idleModelsAreUnloadedLeastRecentlyUsedFirst() throws Exception {
    List<String> loads = java.util.Collections.synchronizedList(new ArrayList<>());
    ModelLoader counting =
        (m, device) -> {
          loads.add(m.digest());
          return ModelLoader.DJL.load(m, device);
        };
    long budget = (long) (2.5 * footprint(2));
    try (LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, counting)) {
      for (String d : List.of("a", "b", "a", "c", "b")) {
        assertEquals(2, p.generate(on(alias(d), "t", 2)).get(60, TimeUnit.SECONDS).steps());
      }
      assertEquals(List.of("sha256:a", "sha256:b", "sha256:c", "sha256:b"), loads);
      assertEquals(2 * footprint(2), p.load().residentBytes().get("cpu"));
      assertTrue(p.holds(alias("b")) && p.holds(alias("c")) && !p.holds(alias("a")));
    }
  }

  /**
   * Unloading is by memory, not count: with room for one model and a half, each switch of model
   * unloads the other (three loads for A, B, A); with room for two, nothing is unloaded.
   */
  @Test
  void idleModelsAreUnloadedWhenMemoryRunsShort() throws Exception {
    for (double room : new double[] {1.5, 2.5}) {
      List<String> loads = java.util.Collections.synchronizedList(new ArrayList<>());
      ModelLoader counting =
          (m, device) -> {
            loads.add(m.digest());
            return ModelLoader.DJL.load(m, device);
          };
      long budget = (long) (room * footprint(2));
      try (LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, counting)) {
        for (String d : List.of("a", "b", "a")) {
          assertEquals(2, p.generate(on(alias(d), "t", 2)).get(60, TimeUnit.SECONDS).steps());
        }
        long resident = p.load().residentBytes().get("cpu");
        if (room < 2) {
          assertEquals(List.of("sha256:a", "sha256:b", "sha256:a"), loads);
          assertEquals(footprint(2), resident);
        } else {
          assertEquals(List.of("sha256:a", "sha256:b"), loads);
          assertEquals(2 * footprint(2), resident);
        }
      }
    }
  }

  /**
   * A model that waits for memory held by a busy one loads once that one drains: new work for the
   * busy model waits behind it instead of starving it.
   */
  @Test
  void aModelWaitingForMemoryIsNotStarvedByTheBusyOnesTraffic() throws Exception {
    long budget = (long) (1.5 * footprint(2));
    try (LocalWorkerPool p =
        new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, ModelLoader.DJL)) {
      List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
      java.util.concurrent.CountDownLatch queued = new java.util.concurrent.CountDownLatch(1);
      // a1's first step waits until b and a2 are queued: a1 is running when they arrive
      // wait on the recording stages, not the jobs: a job's dependents run last-registered first,
      // so allOf(jobs) could wake this thread before the last name is recorded (seen in CI)
      var a1 =
          p.generate(gated(alias("a"), "t1", 32, queued)).whenComplete((r, e) -> order.add("a1"));
      var b = p.generate(on(alias("b"), "t2", 2)).whenComplete((r, e) -> order.add("b"));
      var a2 = p.generate(on(alias("a"), "t3", 2)).whenComplete((r, e) -> order.add("a2"));
      queued.countDown();
      CompletableFuture.allOf(a1, b, a2).get(120, TimeUnit.SECONDS);
      assertEquals(List.of("a1", "b", "a2"), order);
    }
  }

  /** A model larger than the whole budget is refused at once, and nothing is loaded. */
  @Test
  void aModelLargerThanTheWholeBudgetIsRefusedAtOnce() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    ModelLoader counting =
        (m, device) -> {
          loads.incrementAndGet();
          return ModelLoader.DJL.load(m, device);
        };
    long budget = footprint(2) - 1;
    try (LocalWorkerPool p = new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, counting)) {
      ExecutionException g =
          assertThrows(ExecutionException.class, p.generate(on(model, "t", 2))::get);
      ModelDoesNotFitException refusal =
          assertInstanceOf(ModelDoesNotFitException.class, g.getCause());
      assertTrue(
          refusal.getMessage().contains("'llada-tiny-instruct' needs "), refusal.getMessage());
      assertTrue(refusal.getMessage().contains(ByteSize.format(budget)), refusal.getMessage());
      ExecutionException l =
          assertThrows(
              ExecutionException.class,
              p.loglikelihood(
                      new LikelihoodJob(model, chat("sort 1:"), new int[] {5, 6}, 4, 4, 0.0, 1))
                  ::get);
      assertInstanceOf(ModelDoesNotFitException.class, l.getCause());
      assertEquals(0, loads.get());
      assertEquals(0L, p.load().residentBytes().get("cpu"));
    }
  }

  /** A generation of {@code m} for {@code tenant} whose first step waits for {@code gate}. */
  private static GenerationJob gated(
      ModelRef m, String tenant, int steps, java.util.concurrent.CountDownLatch gate) {
    return new GenerationJob(
        m,
        chat("sort 42:"),
        greedy(steps, steps),
        1,
        e -> {
          try {
            gate.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        },
        null,
        null,
        tenant,
        1);
  }

  /**
   * A likelihood whose model waits for memory held by a running batch runs once that batch drains
   * (nothing else is waiting then, so only the worker's own re-look can start the load).
   */
  @Test
  void aLikelihoodWaitingForMemoryRunsOnceTheBusyModelDrains() throws Exception {
    long budget = (long) (1.5 * footprint(2));
    try (LocalWorkerPool p =
        new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, ModelLoader.DJL)) {
      java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
      var busy = p.generate(gated(alias("a"), "t1", 8, gate));
      var estimate =
          p.loglikelihood(
              new LikelihoodJob(alias("b"), chat("sort 1:"), new int[] {5, 6}, 4, 4, 0.0, 1));
      gate.countDown();
      assertEquals(8, busy.get(60, TimeUnit.SECONDS).steps());
      assertTrue(Double.isFinite(estimate.get(60, TimeUnit.SECONDS).logLikelihood()));
      assertTrue(p.holds(alias("b")) && !p.holds(alias("a")));
    }
  }

  /**
   * Fair-share admission is not arrival order: a later tenant's job can be the first to want a
   * model. The model's claim is its earliest job's, so an earlier job of the busy model does not
   * keep that model resident forever (a deadlock: it waits behind its own tenant's earlier job for
   * the other model).
   */
  @Test
  void aModelWantedFirstByALaterJobStillLoadsWhenTheBusyOneDrains() throws Exception {
    long budget = (long) (1.5 * footprint(2));
    try (LocalWorkerPool p =
        new LocalWorkerPool(Thread::new, "cpu", budget, 2, 8, 8, ModelLoader.DJL)) {
      java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
      var a0 = p.generate(gated(alias("a"), "t1", 8, gate)); // t1 has one in flight
      var b1 = p.generate(on(alias("b"), "t1", 2));
      var a1 = p.generate(on(alias("a"), "t1", 2));
      var b2 = p.generate(on(alias("b"), "t2", 2)); // admitted first: t2 has none in flight
      gate.countDown();
      CompletableFuture.allOf(a0, b1, a1, b2).get(60, TimeUnit.SECONDS);
    }
  }
}

package dev.llada.worker;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.likelihood.LikelihoodEstimate;
import dev.llada.core.likelihood.LogLikelihood;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.Denoising;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.sampling.StepBatcher;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.PreprocessorConfig;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process worker: one dedicated inference thread (DJL is not thread-safe per model, and grad
 * mode is per thread: djl.md, stack-djl-payara.md §5), resident models keyed by content digest
 * under a memory budget, and tokenizers shared by all threads (the Rust tokenizer is thread-safe).
 * Generations run with step-level continuous batching ({@link StepBatcher}): they join and leave
 * between steps; each step takes up to {@code maxBatch} of them, chosen by per-tenant fair share
 * ({@link FairShare}), in shared forwards; waiting ones are admitted by fair share too, and a
 * tenant's or the worker's full queue refuses at once ({@link WorkerBusyException}); a cancelled
 * one leaves at the next step, a waiting one as soon as its caller gives up. Likelihoods run one
 * Monte Carlo batch between two steps.
 *
 * <p>Models load on a thread of their own, off the inference path (issue #16 item 3): while one
 * tenant's cold model loads, the others' batches keep stepping. Admission is by memory: a model
 * reserves its {@link ModelFootprint} (weights + a full batch's working set) of the worker's
 * budget; idle models are unloaded least recently used first until it fits; one that cannot fit
 * even alone is refused at once ({@link ModelDoesNotFitException}); one that must wait for busy
 * models' memory stops new work joining them, so that it loads once they drain (no starvation).
 *
 * <p>A LLaDA-V model is resident as its {@link VisionModel}: its text-only prompts join the model's
 * shared batch like any other; a generation with images runs in a batch of its own over a view of
 * the model that splices its image rows in at every forward (the rows sit at fixed canvas
 * positions, so requests with other images cannot share those forwards), freed when it ends.
 */
public final class LocalWorkerPool implements WorkerPool {

  private final ExecutorService inference;
  private final String device;

  /** What models may reserve on the device, in bytes ({@link ModelFootprint}). */
  private final long memoryBytes;

  private final ModelLoader loader;

  /** The thread models load on. */
  private final ExecutorService loads;

  /** Resident models by digest, least recently used first (inference thread only). */
  private final Map<String, Resident> resident = new LinkedHashMap<>(4, 0.75f, true);

  /** Models wanted and not resident: loading, or waiting for memory (inference thread only). */
  private final Map<String, Wanted> wanted = new LinkedHashMap<>();

  /** Likelihoods running on a model, by digest: it is not unloaded under them. */
  private final Map<String, Integer> scoring = new ConcurrentHashMap<>();

  /**
   * A model on the device and the memory it reserves; a LLaDA-V model's {@code vision} too, whose
   * language model {@code predictor} is (text-only prompts run on it as on any model).
   */
  private record Resident(DjlMaskPredictor predictor, VisionModel vision, long bytes) {
    void close() {
      if (vision != null) {
        vision.close(); // its language model too
      } else {
        predictor.close();
      }
    }
  }

  /** Who waits for a model to load (a likelihood; generations wait in their queue). */
  private interface ModelWaiter {
    void ready(DjlMaskPredictor predictor);

    void failed(Throwable why);

    /** True once its caller gave up (a deadline, a cancel): it fails without waiting longer. */
    default boolean cancelled() {
      return false;
    }
  }

  /** A likelihood whose model is resident but must wait behind a model wanted earlier. */
  private record Deferred(ModelRef model, long seq, ModelWaiter waiter) {}

  /** Likelihoods held so (inference thread only); looked at again on each pump. */
  private final List<Deferred> deferred = new ArrayList<>();

  /** Whether a delayed pump is armed (a worker whose waiting work all waits for a model). */
  private final java.util.concurrent.atomic.AtomicBoolean timerArmed =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** A model wanted on the device: its reservation, whether it is loading, who waits for it. */
  private static final class Wanted {
    final ModelRef model;
    final long bytes;

    /**
     * The earliest work that wants it: work that came earlier keeps its model; later work waits.
     */
    long since;

    boolean loading;
    final List<ModelWaiter> waiters = new ArrayList<>();

    Wanted(ModelRef model, long bytes, long since) {
      this.model = model;
      this.bytes = bytes;
      this.since = since;
    }
  }

  private final Map<String, Tokens> tokenizers = new ConcurrentHashMap<>();

  /** A LLaDA-V model's config and image preprocessing, read once (no weights). */
  private record Vision(VisionModelConfig config, PreprocessorConfig preprocessor) {}

  private final Map<String, Vision> visions = new ConcurrentHashMap<>();
  private final int maxBatch;

  /** Waiting generations by tenant, each tenant's in arrival order; guarded by itself. */
  private final Map<String, java.util.ArrayDeque<Pending>> waiting = new LinkedHashMap<>();

  private long arrivals;
  private long pumpSteps;
  private final int maxQueuedPerTenant;
  private final int maxQueued;

  /**
   * Generations admitted at once ({@code 4 × maxBatch}, at most {@code maxBatch} of one tenant):
   * more than a step takes, so that another tenant's newcomer joins at once and fair sharing
   * ({@link FairShare}) decides who steps.
   */
  private final int maxInFlight;

  /**
   * Whether a step fills its rows beyond the equal share ({@link FairShare}): on a GPU, where a
   * step costs about the same with more rows; not on a CPU, where rows cost time.
   */
  private final boolean fill;

  private volatile boolean closed;

  /** Set by {@link #drain}: no new work is taken. */
  private volatile boolean draining;

  /** Work taken and not yet answered (generations and likelihoods). */
  private final AtomicInteger outstanding = new AtomicInteger();

  /** Likelihoods taken and not yet answered: at most {@code maxQueued} (they wait in turn). */
  private final AtomicInteger likelihoods = new AtomicInteger();

  private volatile WorkerMetrics metrics = WorkerMetrics.NONE;

  /** The running and resident part of {@link #load()}, published by the inference thread. */
  private volatile WorkerLoad published;

  /** Digests of the models resident or loading, and the memory reserved: for routing. */
  private volatile java.util.Set<String> holding = java.util.Set.of();

  private volatile long reservedBytes;

  private final Map<String, Running> running = new LinkedHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean pumpQueued =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Generations in flight by default, across models (continuous batching). */
  public static final int DEFAULT_MAX_BATCH = 8;

  /** Generations one tenant may have waiting, and the worker in all, by default. */
  public static final int DEFAULT_MAX_QUEUED_PER_TENANT = 64;

  public static final int DEFAULT_MAX_QUEUED = 256;

  /**
   * @param threads where the inference and loading threads come from (a container's managed
   *     factory)
   * @param device {@code cpu} or {@code gpuN}
   * @param memoryBytes what resident models may reserve on the device ({@link ModelFootprint};
   *     {@link DeviceMemory#defaultBudget} when not told)
   */
  public LocalWorkerPool(ThreadFactory threads, String device, long memoryBytes) {
    this(threads, device, memoryBytes, DEFAULT_MAX_BATCH);
  }

  /**
   * @param maxBatch generations that take a step together (share its forwards); up to four times as
   *     many are in flight, and fair sharing picks who steps
   */
  public LocalWorkerPool(ThreadFactory threads, String device, long memoryBytes, int maxBatch) {
    this(threads, device, memoryBytes, maxBatch, DEFAULT_MAX_QUEUED_PER_TENANT, DEFAULT_MAX_QUEUED);
  }

  /**
   * @param maxQueuedPerTenant generations one tenant may have waiting; more are refused at once
   * @param maxQueued generations the worker may have waiting in all
   */
  public LocalWorkerPool(
      ThreadFactory threads,
      String device,
      long memoryBytes,
      int maxBatch,
      int maxQueuedPerTenant,
      int maxQueued) {
    this(threads, device, memoryBytes, maxBatch, maxQueuedPerTenant, maxQueued, ModelLoader.DJL);
  }

  /**
   * @param loader how models are put on the device (a test's seam)
   */
  public LocalWorkerPool(
      ThreadFactory threads,
      String device,
      long memoryBytes,
      int maxBatch,
      int maxQueuedPerTenant,
      int maxQueued,
      ModelLoader loader) {
    if (memoryBytes < 1 || maxBatch < 1 || maxQueuedPerTenant < 1 || maxQueued < 1) {
      throw new IllegalArgumentException("memoryBytes, maxBatch and the queue bounds must be >= 1");
    }
    this.memoryBytes = memoryBytes;
    this.loader = java.util.Objects.requireNonNull(loader, "loader");
    this.maxBatch = maxBatch;
    this.maxInFlight = 4 * maxBatch;
    this.fill = !device.startsWith("cpu");
    this.maxQueuedPerTenant = maxQueuedPerTenant;
    this.maxQueued = maxQueued;
    this.device = device;
    this.inference = Executors.newSingleThreadExecutor(named(threads, "llada-inference-"));
    this.loads = Executors.newSingleThreadExecutor(named(threads, "llada-loader-"));
    this.published = new WorkerLoad(Map.of(), Map.of(), Map.of(device, 0L));
  }

  private static ThreadFactory named(ThreadFactory threads, String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = threads.newThread(r);
      t.setName(prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Tells {@code metrics} of every wait and step from now on. */
  public LocalWorkerPool observedBy(WorkerMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  @Override
  public WorkerLoad load() {
    Map<WorkerLoad.Queue, Integer> queues = new java.util.HashMap<>();
    synchronized (waiting) {
      for (var q : waiting.entrySet()) {
        for (Pending p : q.getValue()) {
          queues.merge(new WorkerLoad.Queue(p.job().model().name(), q.getKey()), 1, Integer::sum);
        }
      }
    }
    WorkerLoad now = published;
    return new WorkerLoad(queues, now.running(), now.residentBytes());
  }

  /** Publishes what runs and what is resident (inference thread, after each pump and load). */
  private void publish() {
    Map<String, Integer> runs = new java.util.HashMap<>();
    for (Running r : running.values()) {
      if (!r.live().isEmpty()) {
        runs.merge(r.live().get(0).job().model().name(), r.live().size(), Integer::sum);
      }
    }
    long bytes = 0;
    for (Resident r : resident.values()) {
      bytes += r.bytes(); // the footprint reserved: weights + a full batch's working set
    }
    published = new WorkerLoad(Map.of(), runs, Map.of(device, bytes));
    java.util.Set<String> now = new java.util.HashSet<>(resident.keySet());
    long loading = 0;
    for (Wanted w : wanted.values()) {
      now.add(w.model.digest());
      loading += w.loading ? w.bytes : 0;
    }
    holding = java.util.Set.copyOf(now);
    reservedBytes = bytes + loading;
  }

  /** The tokenizer and the special ids of one model, loaded once. */
  private record Tokens(LladaTokenizer tokenizer, LladaConfig config, SpecialTokens special) {}

  private Tokens tokens(ModelRef model) {
    return tokenizers.computeIfAbsent(
        model.digest(),
        d -> {
          LladaConfig config = LladaConfig.read(model.directory());
          LladaTokenizer tokenizer = LladaTokenizer.load(model.directory());
          return new Tokens(tokenizer, config, SpecialTokens.of(config, tokenizer));
        });
  }

  /** The device this worker runs on ({@code cpu}, {@code gpu0}, ...). */
  public String device() {
    return device;
  }

  /** Whether {@code model} is resident here or wanted (loading, or waiting for memory). */
  public boolean holds(ModelRef model) {
    return holding.contains(model.digest());
  }

  /** The memory not reserved by resident or loading models now. */
  public long freeBytes() {
    return memoryBytes - reservedBytes;
  }

  /** Work taken and not yet answered (generations and likelihoods, waiting or running). */
  public int outstanding() {
    return outstanding.get();
  }

  /**
   * Loads {@code model} ahead of its first request ({@code LLADA_PRELOAD}); completes once it is
   * resident. It stays resident like any other model: unloaded when idle and its memory is needed.
   */
  @Override
  public CompletableFuture<Void> preload(ModelRef model) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      checkFits(model);
      if (closed || draining) {
        throw stopping();
      }
      long seq;
      synchronized (waiting) {
        seq = arrivals++;
      }
      inference.execute(
          () ->
              withModel(
                  model,
                  seq,
                  new ModelWaiter() {
                    @Override
                    public void ready(DjlMaskPredictor predictor) {
                      done.complete(null);
                    }

                    @Override
                    public void failed(Throwable why) {
                      done.completeExceptionally(why);
                    }
                  }));
    } catch (RuntimeException e) {
      done.completeExceptionally(
          e instanceof java.util.concurrent.RejectedExecutionException ? stopping() : e);
    }
    return done;
  }

  /** What {@code model} reserves on this worker's device when resident. */
  public ModelFootprint footprint(ModelRef model) {
    if (tokens(model).config().family() == dev.llada.core.config.ModelFamily.LLAVA_LLADA) {
      // LLaDA-V: the tower, projector and newline too
      return ModelFootprint.of(
          dev.llada.core.vision.VisionModelConfig.read(model.directory()),
          maxBatch,
          StepBatcher.DEFAULT_MAX_LOGITS_VALUES);
    }
    var config = tokens(model).config();
    return ModelFootprint.of(
        config, maxBatch, StepBatcher.DEFAULT_MAX_LOGITS_VALUES, loader.bytesPerWeight(config));
  }

  @Override
  public void checkFits(ModelRef model) {
    ModelDoesNotFitException tooLarge = tooLarge(model);
    if (tooLarge != null) {
      throw tooLarge;
    }
  }

  /** The refusal of a model too large for the whole budget, or null when it can fit. */
  private ModelDoesNotFitException tooLarge(ModelRef model) {
    ModelFootprint need = footprint(model);
    return need.bytes() > memoryBytes
        ? new ModelDoesNotFitException(model.name(), need, memoryBytes, device)
        : null;
  }

  @Override
  public int[] encode(ModelRef model, String text) {
    return tokens(model).tokenizer().encode(text);
  }

  @Override
  public String decode(ModelRef model, int[] ids) {
    return tokens(model).tokenizer().decode(ids, true);
  }

  /** The vision part of {@code model}, or null when it reads no images. */
  private Vision vision(ModelRef model) {
    if (!VisionModelConfig.isVision(model.directory())) {
      return null;
    }
    return visions.computeIfAbsent(
        model.digest(),
        d -> {
          VisionModelConfig config = VisionModelConfig.read(model.directory());
          return new Vision(config, VisionModel.preprocessor(model.directory(), config));
        });
  }

  private Vision requireVision(ModelRef model) {
    Vision v = vision(model);
    if (v == null) {
      throw new IllegalArgumentException("the model '" + model.name() + "' reads no images");
    }
    return v;
  }

  @Override
  public int tokensPerImage(ModelRef model) {
    Vision v = vision(model);
    return v == null ? 0 : v.config().tokensPerImage();
  }

  @Override
  public ImagePrompt encode(ModelRef model, String text, int images) {
    Vision v = requireVision(model);
    Tokens t = tokens(model);
    // the runs hold EOS, never the mask id: the splice replaces them, no sampler takes them
    return ImagePrompt.of(
        t.tokenizer(), text, images, v.config().tokensPerImage(), t.special().eosId());
  }

  @Override
  public float[] pixels(ModelRef model, java.awt.image.BufferedImage image) {
    return VisionModel.pixels(image, requireVision(model).preprocessor());
  }

  @Override
  public ModelLimits limits(ModelRef model) {
    Tokens t = tokens(model);
    return new ModelLimits(
        t.config().maxSequenceLength(),
        t.config().vocabSize(),
        t.special().eosId(),
        t.special().eotId(),
        t.tokenizer().maxTokenBytes());
  }

  @Override
  public boolean drain(java.time.Duration grace) {
    draining = true;
    long deadline = System.nanoTime() + grace.toNanos();
    while (outstanding.get() > 0 && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return outstanding.get() == 0;
  }

  @Override
  public void checkRoom(String tenant) {
    if (closed || draining) {
      throw stopping();
    }
    synchronized (waiting) {
      java.util.ArrayDeque<Pending> mine = waiting.get(tenant);
      if (mine != null && mine.size() >= maxQueuedPerTenant) {
        throw new WorkerBusyException(true, mine.size());
      }
      int all = waiting.values().stream().mapToInt(java.util.ArrayDeque::size).sum();
      if (all >= maxQueued) {
        throw new WorkerBusyException(false, all);
      }
    }
  }

  /** Counts {@code future} as outstanding until it completes. */
  private <T> CompletableFuture<T> counted(CompletableFuture<T> future) {
    outstanding.incrementAndGet();
    future.whenComplete((r, e) -> outstanding.decrementAndGet());
    return future;
  }

  private static WorkerStoppingException stopping() {
    return new WorkerStoppingException("the worker is shutting down");
  }

  @Override
  public CompletableFuture<GenerationResult> generate(GenerationJob job) {
    CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    if (closed || draining) {
      future.completeExceptionally(
          closed ? new WorkerStoppingException("the worker pool is shut down") : stopping());
      return future;
    }
    ModelDoesNotFitException tooLarge = tooLarge(job.model()); // also: a broken model directory
    if (tooLarge != null) {
      future.completeExceptionally(tooLarge);
      return future;
    }
    synchronized (waiting) {
      try {
        checkRoom(job.tenant());
      } catch (WorkerBusyException | WorkerStoppingException refused) {
        future.completeExceptionally(refused);
        return future;
      }
      waiting
          .computeIfAbsent(job.tenant(), t -> new java.util.ArrayDeque<>())
          .add(new Pending(job, counted(future), arrivals++, System.nanoTime()));
    }
    schedulePump();
    return future;
  }

  /** A generation waiting to join its model's batch. */
  private record Pending(
      GenerationJob job, CompletableFuture<GenerationResult> future, long seq, long submitted) {}

  /** A generation in a running batch (inference thread only); {@code lastStep}: its last pump. */
  private static final class Live {
    final GenerationJob job;
    final CompletableFuture<GenerationResult> future;
    final Denoising state;
    final long start;
    long lastStep = -1;

    Live(
        GenerationJob job,
        CompletableFuture<GenerationResult> future,
        Denoising state,
        long start) {
      this.job = job;
      this.future = future;
      this.state = state;
      this.start = start;
    }

    GenerationJob job() {
      return job;
    }

    CompletableFuture<GenerationResult> future() {
      return future;
    }

    Denoising state() {
      return state;
    }

    long start() {
      return start;
    }
  }

  /**
   * One model's running batch (inference thread only), keyed by its digest; a generation with
   * images runs in one of its own (keyed by its digest and arrival), over the predictor {@code
   * images} splices its rows into, freed when it ends ({@link #close}).
   */
  private record Running(
      StepBatcher batcher, List<Live> live, String digest, VisionModel.Prepared images) {
    Running(StepBatcher batcher, String digest) {
      this(batcher, new ArrayList<>(), digest, null);
    }

    /** Frees the image rows of a batch with images (the model stays resident). */
    void close() {
      if (images != null) {
        images.close();
      }
    }
  }

  /** Puts one pump step on the inference thread unless one is queued already. */
  private void schedulePump() {
    if (pumpQueued.compareAndSet(false, true)) {
      try {
        inference.execute(this::pump);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        pumpQueued.set(false);
        IllegalStateException down = new WorkerStoppingException("the worker pool is shut down");
        if (Thread.currentThread().getName().startsWith("llada-inference-")) {
          shutDownWork(down); // the inference thread itself: its running work fails too
        } else {
          failWaiting(down);
        }
      }
    }
  }

  /**
   * One step of continuous batching on the inference thread: waiting generations join their model's
   * batch (up to {@code maxBatch} in flight), cancelled ones leave, every batch advances one
   * denoising step ({@link StepBatcher}: shared forwards), finished ones answer. Then the pump
   * queues itself again behind whatever else is waiting (likelihoods, model loads), so those run
   * between two steps instead of after the whole batch.
   */
  private void pump() {
    pumpQueued.set(false);
    boolean stalled = false;
    try {
      if (closed) {
        shutDownWork(new WorkerStoppingException("the worker pool is shut down"));
        return;
      }
      pumpSteps++;
      dropCancelledWaiting();
      if (!wanted.isEmpty() || !deferred.isEmpty()) {
        sweepWaiters();
      }
      for (Running r : running.values()) { // first, so that their places count as free
        r.live().removeIf(l -> guarded(r, l, x -> leftIfCancelled(r, x)));
      }
      if (!wanted.isEmpty()) {
        startLoads(); // memory freed since (a likelihood ended)
      }
      stalled = admit();
      for (var it = running.entrySet().iterator(); it.hasNext(); ) {
        var entry = it.next();
        Running r = entry.getValue();
        List<Live> chosen = fairStep(r.live());
        chosen.forEach(l -> l.lastStep = pumpSteps);
        List<Denoising> batch = chosen.stream().map(Live::state).toList();
        long before = batch.stream().mapToLong(Denoising::queryPositions).sum();
        long t0 = System.nanoTime();
        try {
          r.batcher().step(batch);
          if (!chosen.isEmpty()) {
            metrics.stepped(
                chosen.get(0).job().model().name(),
                (System.nanoTime() - t0) / 1e9,
                batch.stream().mapToLong(Denoising::queryPositions).sum() - before);
          }
        } catch (RuntimeException | Error e) { // a forward failed: the requests in it fail
          for (Live l : chosen) {
            l.future().completeExceptionally(e);
            r.batcher().leave(l.state());
          }
          r.live().removeAll(chosen);
        }
        r.live().removeIf(l -> guarded(r, l, this::answeredIfDone));
        if (r.live().isEmpty()) {
          resident.get(r.digest()); // least recently used counts from when its batch ended
          it.remove();
          r.close();
        }
      }
      if (!wanted.isEmpty()) {
        startLoads(); // memory freed by the batches that drained in this step
      }
    } finally { // whatever failed above, the work left is not forgotten
      publish();
      boolean more;
      synchronized (waiting) {
        more = !waiting.isEmpty();
      }
      if (!running.isEmpty() || (more && !stalled)) {
        schedulePump();
      } else if (more || !wanted.isEmpty() || !deferred.isEmpty()) {
        armTimer(); // all that waits, waits for a model: look again soon (cancels, deadlines)
      }
    }
  }

  /** One delayed pump at a time, {@link #STALLED_PUMP_MILLIS} from now. */
  private void armTimer() {
    if (timerArmed.compareAndSet(false, true)) {
      CompletableFuture.delayedExecutor(STALLED_PUMP_MILLIS, TimeUnit.MILLISECONDS)
          .execute(
              () -> {
                timerArmed.set(false);
                schedulePump();
              });
    }
  }

  /**
   * Likelihoods waiting for a model: those whose caller gave up fail now; a model nobody waits for
   * any more is no longer wanted; those held behind an earlier model are looked at again (inference
   * thread).
   */
  private void sweepWaiters() {
    for (Wanted w : wanted.values()) {
      w.waiters.removeIf(
          x -> {
            if (x.cancelled()) {
              x.failed(new GenerationCancelledException("likelihood cancelled before it ran", 0));
              return true;
            }
            return false;
          });
    }
    // a model nobody waits for any more (its callers gave up) is not loaded, nor held for
    java.util.Set<String> queued = new java.util.HashSet<>();
    synchronized (waiting) {
      waiting.values().forEach(q -> q.forEach(p -> queued.add(p.job().model().digest())));
    }
    wanted
        .values()
        .removeIf(w -> !w.loading && w.waiters.isEmpty() && !queued.contains(w.model.digest()));
    if (!deferred.isEmpty()) {
      List<Deferred> again = new ArrayList<>(deferred);
      deferred.clear();
      for (Deferred d : again) {
        if (d.waiter().cancelled()) {
          d.waiter()
              .failed(new GenerationCancelledException("likelihood cancelled before it ran", 0));
        } else {
          withModel(d.model(), d.seq(), d.waiter());
        }
      }
    }
  }

  /** How often a worker whose waiting work all waits for a model load looks at it again. */
  private static final long STALLED_PUMP_MILLIS = 100;

  /**
   * {@code check} on one live request; if it throws, that request alone fails and leaves (true:
   * remove it).
   */
  private boolean guarded(Running r, Live l, java.util.function.Predicate<Live> check) {
    try {
      return check.test(l);
    } catch (RuntimeException | Error e) {
      l.future().completeExceptionally(e);
      r.batcher().leave(l.state());
      return true;
    }
  }

  /** Fails every request in flight and waiting, leaving their cache rows (inference thread). */
  private void shutDownWork(Throwable why) {
    for (Running r : running.values()) {
      for (Live l : r.live()) {
        r.batcher().leave(l.state());
        l.future().completeExceptionally(why);
      }
      r.close();
    }
    running.clear();
    failWaiting(why);
  }

  /**
   * The requests of one model's batch that take this step ({@link FairShare}): per tenant its fair
   * number, those that waited longest first; the others keep their state for a later step.
   */
  private List<Live> fairStep(List<Live> live) {
    Map<String, List<Live>> byTenant = new LinkedHashMap<>();
    Map<String, Double> weights = new LinkedHashMap<>();
    // tenants in the order of their longest-waiting request: shares and what rounding leaves go
    // to those that stepped least recently, so that every tenant steps in turn
    List<Live> byWait = new ArrayList<>(live);
    byWait.sort(java.util.Comparator.comparingLong((Live l) -> l.lastStep));
    for (Live l : byWait) {
      byTenant.computeIfAbsent(l.job().tenant(), t -> new ArrayList<>()).add(l);
      weights.put(l.job().tenant(), l.job().weight());
    }
    Map<String, Integer> demand = new LinkedHashMap<>();
    byTenant.forEach((t, ls) -> demand.put(t, ls.size()));
    Map<String, Integer> allow = FairShare.stepsPerTenant(demand, weights, maxBatch, fill);
    List<Live> chosen = new ArrayList<>();
    byTenant.forEach(
        (t, ls) ->
            ls.stream()
                .sorted(java.util.Comparator.comparingLong((Live l) -> l.lastStep))
                .limit(allow.getOrDefault(t, 0))
                .forEach(chosen::add));
    return chosen;
  }

  /** Waiting generations whose caller gave up (a deadline, a disconnect) go without running. */
  private void dropCancelledWaiting() {
    List<Pending> dropped = new ArrayList<>();
    synchronized (waiting) {
      for (var it = waiting.values().iterator(); it.hasNext(); ) {
        java.util.ArrayDeque<Pending> q = it.next();
        q.removeIf(
            p -> {
              boolean gone = p.job().cancelled().getAsBoolean();
              if (gone) {
                dropped.add(p);
              }
              return gone;
            });
        if (q.isEmpty()) {
          it.remove();
        }
      }
    }
    dropped.forEach(p -> p.future().completeExceptionally(new GenerationCancelledException(0)));
  }

  /** The next waiting generation by fair share ({@link FairShare#nextToAdmit}), or null. */
  private Pending nextWaiting(java.util.Set<String> held) {
    Map<String, Integer> inFlight = new LinkedHashMap<>();
    Map<String, Double> weights = new LinkedHashMap<>();
    for (Running r : running.values()) {
      for (Live l : r.live()) {
        inFlight.merge(l.job().tenant(), 1, Integer::sum);
      }
    }
    synchronized (waiting) {
      // a tenant has at most maxBatch in flight (all of them step while it is alone); the room
      // beyond is for other tenants to join at once
      List<String> order =
          waiting.entrySet().stream()
              .filter(e -> inFlight.getOrDefault(e.getKey(), 0) < maxBatch)
              .filter(e -> !held.contains(e.getKey()))
              .sorted(java.util.Comparator.comparingLong(e -> e.getValue().peek().seq()))
              .map(Map.Entry::getKey)
              .toList();
      waiting.forEach((t, q) -> weights.put(t, q.peek().job().weight()));
      String tenant = FairShare.nextToAdmit(order, inFlight, weights);
      if (tenant == null) {
        return null;
      }
      java.util.ArrayDeque<Pending> q = waiting.get(tenant);
      Pending p = q.poll();
      if (q.isEmpty()) {
        waiting.remove(tenant);
      }
      return p;
    }
  }

  private void failWaiting(Throwable why) {
    List<Pending> all = new ArrayList<>();
    synchronized (waiting) {
      waiting.values().forEach(all::addAll);
      waiting.clear();
    }
    all.forEach(p -> p.future().completeExceptionally(why));
  }

  /**
   * Waiting generations join their model's batch while there is room, by fair share; those whose
   * model is not resident (or must make way for one that waits for memory) wait, and their tenant's
   * later ones behind them. True when all that still waits is held so (stalled).
   */
  private boolean admit() {
    int inFlight = running.values().stream().mapToInt(r -> r.live().size()).sum();
    java.util.Set<String> held = new java.util.HashSet<>(); // tenants whose next job must wait
    while (inFlight < maxInFlight) {
      Pending p = nextWaiting(held);
      if (p == null) {
        synchronized (waiting) {
          return !held.isEmpty() && held.containsAll(waiting.keySet());
        }
      }
      GenerationJob job = p.job();
      if (job.cancelled().getAsBoolean()) {
        p.future().completeExceptionally(new GenerationCancelledException(0));
        continue;
      }
      if (!ready(job.model(), p.seq())) { // its model loads, or another waits for memory
        synchronized (waiting) {
          waiting.computeIfAbsent(job.tenant(), t -> new java.util.ArrayDeque<>()).addFirst(p);
        }
        held.add(job.tenant());
        continue;
      }
      try {
        Tokens tokens = tokens(job.model());
        String digest = job.model().digest();
        Resident model = resident.get(digest); // LRU touch
        Running r;
        if (job.images() != null) {
          r = imageBatch(job, model, tokens);
          running.put(digest + "#" + p.seq(), r);
        } else {
          r = running.get(digest);
          if (r == null) {
            r = new Running(new StepBatcher(model.predictor(), tokens.special()), digest);
            running.put(digest, r);
          }
        }
        Denoising d =
            r.batcher()
                .request(
                    job.promptIds(),
                    job.config(),
                    job.acceleration(),
                    new SplittableRandom(job.seed()),
                    job.listener());
        r.live().add(new Live(job, p.future(), d, System.nanoTime()));
        metrics.waited(job.model().name(), (System.nanoTime() - p.submitted()) / 1e9);
        inFlight++;
      } catch (RuntimeException | Error e) { // a bad request
        p.future().completeExceptionally(e);
      }
    }
    return false;
  }

  /**
   * The batch of its own a generation with images runs in (option (a) of issue #20: a splice puts
   * rows at fixed canvas positions, so requests with other images or prompt lengths cannot share
   * its forwards): its images go through the tower once, here on the inference thread, and every
   * forward of the batch splices their rows in at the prompt's image runs (one request: no left
   * padding, row 0).
   */
  private Running imageBatch(GenerationJob job, Resident model, Tokens tokens) {
    if (model.vision() == null) {
      throw new IllegalArgumentException(
          "the model '" + job.model().name() + "' reads no images (it is not a LLaDA-V model)");
    }
    VisionModel.Prepared images =
        model
            .vision()
            .preparePixels(
                List.of(job.images().prompt()), List.of(job.images().pixels()), new int[] {0});
    try {
      return new Running(
          new StepBatcher(images.predictor(), tokens.special()),
          new ArrayList<>(),
          job.model().digest(),
          images);
    } catch (RuntimeException | Error e) {
      images.close();
      throw e;
    }
  }

  /**
   * Whether job number {@code seq} of {@code model} may start now: the model is resident and no
   * model wanted before the job arrived waits for memory (work that came later waits behind that
   * load, so that the busy models drain and make room: no starvation). Otherwise the model's load
   * is wanted (started as soon as memory allows).
   */
  private boolean ready(ModelRef model, long seq) {
    if (resident.containsKey(model.digest())) {
      return wanted.values().stream().noneMatch(w -> !w.loading && w.since < seq);
    }
    want(model, seq);
    startLoads();
    return false;
  }

  /**
   * {@code model} is wanted on the device by work number {@code seq} (its earliest claimant counts,
   * whoever asked first: admission is by fair share, not arrival); {@link #startLoads} starts the
   * load when its footprint fits.
   */
  private Wanted want(ModelRef model, long seq) {
    Wanted w = wanted.get(model.digest());
    if (w == null) {
      w = new Wanted(model, footprint(model).bytes(), seq);
      wanted.put(model.digest(), w);
    }
    w.since = Math.min(w.since, seq);
    return w;
  }

  /**
   * Whether a resident model may be unloaded to make room for {@code w}: no batch and no likelihood
   * runs on it, and no generation that came before {@code w} was wanted waits for it (else a model
   * just loaded for its waiting work could be unloaded before that work joins: thrashing).
   */
  private boolean evictable(String digest, Wanted w) {
    if (running.values().stream().anyMatch(r -> r.digest().equals(digest))
        || scoring.getOrDefault(digest, 0) > 0) {
      return false;
    }
    synchronized (waiting) {
      for (java.util.ArrayDeque<Pending> q : waiting.values()) {
        for (Pending p : q) {
          if (p.seq() < w.since && p.job().model().digest().equals(digest)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /**
   * Starts the loads of wanted models whose footprint fits, unloading idle models least recently
   * used first to make room (inference thread). Memory reserved counts resident and loading models.
   */
  private void startLoads() {
    List<Wanted> byAge = new ArrayList<>(wanted.values());
    byAge.sort(java.util.Comparator.comparingLong(w -> w.since));
    for (Wanted w : byAge) {
      if (w.loading) {
        continue;
      }
      long reserved =
          resident.values().stream().mapToLong(Resident::bytes).sum()
              + wanted.values().stream().filter(x -> x.loading).mapToLong(x -> x.bytes).sum();
      long idleBytes =
          resident.entrySet().stream()
              .filter(e -> evictable(e.getKey(), w))
              .mapToLong(e -> e.getValue().bytes())
              .sum();
      if (memoryBytes - reserved + idleBytes < w.bytes) {
        break; // busy models hold the memory: they drain first (ready() holds new work); later
        // wants wait their turn (loading one now, ready() would hold its work anyway: thrashing)
      }
      for (var it = resident.entrySet().iterator();
          memoryBytes - reserved < w.bytes && it.hasNext(); ) {
        var e = it.next();
        if (evictable(e.getKey(), w)) {
          e.getValue().close();
          reserved -= e.getValue().bytes();
          it.remove();
        }
      }
      w.loading = true;
      try {
        loads.execute(() -> load(w));
      } catch (java.util.concurrent.RejectedExecutionException e) {
        loaded(w, null, new WorkerStoppingException("the worker pool is shut down"));
        return; // loaded() changed wanted
      }
    }
    publish();
  }

  /** On the loading thread: puts the model on the device, then hands it to the inference thread. */
  private void load(Wanted w) {
    Resident model = null;
    Throwable failure = null;
    try {
      if (closed) { // closing: no native memory is taken any more
        throw new WorkerStoppingException("the worker pool is shut down");
      }
      if (VisionModelConfig.isVision(w.model.directory())) { // LLaDA-V: the tower too
        VisionModel vision = loader.loadVision(w.model, device);
        model = new Resident(vision.predictor(), vision, w.bytes);
      } else {
        model = new Resident(loader.load(w.model, device), null, w.bytes);
      }
    } catch (Throwable t) {
      failure = t;
    }
    Resident loadedOne = model;
    Throwable why = failure;
    try {
      inference.execute(() -> loaded(w, loadedOne, why));
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      if (loadedOne != null) {
        loadedOne.close();
      }
    }
  }

  /** On the inference thread: a load finished; who waits for the model goes on, or fails. */
  private void loaded(Wanted w, Resident model, Throwable failure) {
    wanted.remove(w.model.digest());
    if (model != null && (failure != null || closed)) {
      model.close();
    }
    if (failure == null && closed) {
      failure = new WorkerStoppingException("the worker pool is shut down");
    }
    if (failure != null) {
      Throwable why = failure;
      w.waiters.forEach(x -> x.failed(why));
      failWaitingFor(w.model.digest(), why);
    } else {
      DjlMaskPredictor.inferenceOnThisThread(); // grad mode off here too (it loaded elsewhere)
      resident.put(w.model.digest(), model);
      publish(); // before the waiters hear of it: whoever they tell sees the model resident
      for (ModelWaiter x : w.waiters) {
        x.ready(model.predictor());
      }
    }
    publish();
    schedulePump();
  }

  /** Fails the waiting generations of one model (its load failed). */
  private void failWaitingFor(String digest, Throwable why) {
    List<Pending> failed = new ArrayList<>();
    synchronized (waiting) {
      for (var it = waiting.values().iterator(); it.hasNext(); ) {
        java.util.ArrayDeque<Pending> q = it.next();
        q.removeIf(
            p -> {
              boolean mine = p.job().model().digest().equals(digest);
              if (mine) {
                failed.add(p);
              }
              return mine;
            });
        if (q.isEmpty()) {
          it.remove();
        }
      }
    }
    failed.forEach(p -> p.future().completeExceptionally(why));
  }

  /** A cancelled generation leaves its batch and answers with the steps it ran. */
  private boolean leftIfCancelled(Running r, Live l) {
    if (!l.state().done() && l.job().cancelled().getAsBoolean()) {
      r.batcher().leave(l.state());
      l.future().completeExceptionally(new GenerationCancelledException(l.state().nfe()));
      return true;
    }
    return false;
  }

  /** A finished generation (or one whose listener failed) answers and leaves. */
  private boolean answeredIfDone(Live l) {
    Denoising d = l.state();
    if (!d.done()) {
      return false;
    }
    if (d.failure() != null) {
      l.future().completeExceptionally(d.failure());
      return true;
    }
    Tokens tokens = tokens(l.job().model());
    Generation g = d.result();
    int[] generated = g.completion(0);
    int end = Generation.firstStop(generated, tokens.special());
    int[] answer = Arrays.copyOf(generated, end);
    l.future()
        .complete(
            new GenerationResult(
                answer,
                tokens.tokenizer().decode(answer, true),
                end < generated.length ? "stop" : "length",
                g.nfe(),
                g.nfe(),
                (System.nanoTime() - l.start()) / 1_000_000,
                g.queryPositions()));
    return true;
  }

  @Override
  public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
    if (closed || draining) {
      return CompletableFuture.failedFuture(
          closed ? new WorkerStoppingException("the worker pool is shut down") : stopping());
    }
    ModelDoesNotFitException tooLarge = tooLarge(job.model()); // also: a broken model directory
    if (tooLarge != null) {
      return CompletableFuture.failedFuture(tooLarge);
    }
    if (likelihoods.incrementAndGet() > maxQueued) {
      likelihoods.decrementAndGet();
      return CompletableFuture.failedFuture(new WorkerBusyException(false, maxQueued));
    }
    long submitted = System.nanoTime();
    long seq;
    synchronized (waiting) {
      seq = arrivals++; // its place among generations when it waits for its model
    }
    CompletableFuture<LikelihoodResult> future = counted(new CompletableFuture<>());
    future.whenComplete((r, e) -> likelihoods.decrementAndGet());
    try {
      inference.execute(
          () -> {
            long start = System.nanoTime();
            try {
              if (closed) {
                throw new WorkerStoppingException("the worker pool is shut down");
              }
              metrics.waited(job.model().name(), (start - submitted) / 1e9);
              if (job.cancelled().getAsBoolean()) {
                throw new GenerationCancelledException("likelihood cancelled before it ran", 0);
              }
              withModel(
                  job.model(),
                  seq,
                  new ModelWaiter() {
                    @Override
                    public void ready(DjlMaskPredictor predictor) {
                      try {
                        LogLikelihood.Stepwise estimate =
                            new LogLikelihood(predictor)
                                .start(
                                    job.contextIds(),
                                    job.continuationIds(),
                                    job.mcNum(),
                                    job.batchSize(),
                                    job.cfgScale(),
                                    new SplittableRandom(job.seed()));
                        String digest = job.model().digest();
                        scoring.merge(digest, 1, Integer::sum); // not unloaded under it
                        future.whenComplete(
                            (r, e) -> {
                              scoring.computeIfPresent(digest, (d, n) -> n == 1 ? null : n - 1);
                              schedulePump(); // a load may wait for this model's memory
                            });
                        likelihoodBatch(job, estimate, future, start);
                      } catch (Throwable t) {
                        future.completeExceptionally(t);
                      }
                    }

                    @Override
                    public void failed(Throwable why) {
                      future.completeExceptionally(why);
                    }

                    @Override
                    public boolean cancelled() {
                      return job.cancelled().getAsBoolean();
                    }
                  });
            } catch (Throwable t) {
              future.completeExceptionally(t);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.completeExceptionally(new WorkerStoppingException("the worker pool is shut down"));
    }
    return future;
  }

  /**
   * One Monte Carlo batch of a likelihood on the inference thread, then the next one queued behind
   * whatever waits (the pump's next step): a long estimate no longer holds every batch up for its
   * whole run. Stops before a batch once the job is cancelled.
   */
  private void likelihoodBatch(
      LikelihoodJob job,
      LogLikelihood.Stepwise estimate,
      CompletableFuture<LikelihoodResult> future,
      long start) {
    try {
      if (closed) { // what ran is charged: the batches before it
        throw new WorkerStoppingException("the worker pool is shut down", estimate.batchesRun());
      }
      if (job.cancelled().getAsBoolean()) {
        throw new GenerationCancelledException(
            "likelihood stopped after " + estimate.batchesRun() + " Monte Carlo batches",
            estimate.batchesRun());
      }
      estimate.step();
      if (estimate.done()) {
        LikelihoodEstimate e = estimate.result();
        future.complete(
            new LikelihoodResult(
                e.logLikelihood(),
                e.standardError(),
                e.mcNum(),
                e.nfe(),
                (System.nanoTime() - start) / 1_000_000));
        return;
      }
      inference.execute(() -> likelihoodBatch(job, estimate, future, start));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.completeExceptionally(
          new WorkerStoppingException("the worker pool is shut down", estimate.batchesRun()));
    } catch (Throwable t) {
      future.completeExceptionally(t);
    }
  }

  /**
   * On the inference thread: {@code waiter} (work number {@code seq}) gets {@code model}'s
   * predictor, now or once loaded.
   */
  private void withModel(ModelRef model, long seq, ModelWaiter waiter) {
    Resident r = resident.get(model.digest());
    if (r != null && ready(model, seq)) {
      waiter.ready(r.predictor());
    } else if (r != null) { // a model wanted before it waits for memory: this one waits its turn
      deferred.add(new Deferred(model, seq, waiter));
    } else {
      want(model, seq).waiters.add(waiter); // before startLoads: a refused load fails it too
      startLoads();
    }
  }

  /** Frees every resident model's native memory on the inference thread, then stops it. */
  @Override
  public void close() {
    closed = true; // from now on nothing is admitted; a pump still queued fails what is left
    try {
      inference.execute(
          () -> {
            WorkerStoppingException down =
                new WorkerStoppingException("the worker pool is shut down");
            shutDownWork(down);
            for (Wanted w : wanted.values()) { // a load still running is closed when it ends
              w.waiters.forEach(x -> x.failed(down));
            }
            wanted.clear();
            deferred.forEach(d -> d.waiter().failed(down));
            deferred.clear();
            resident.values().forEach(Resident::close);
            resident.clear();
          });
    } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
      return;
    }
    loads.shutdownNow(); // a load not started yet never starts; one running ends, then is closed
    inference.shutdown();
    try {
      inference.awaitTermination(10, TimeUnit.SECONDS);
      loads.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tokenizers.values().forEach(t -> t.tokenizer().close());
    tokenizers.clear();
  }
}

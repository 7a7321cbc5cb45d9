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
import java.util.function.Supplier;

/**
 * The in-process worker: one dedicated inference thread (DJL is not thread-safe per model, and grad
 * mode is per thread: djl.md, stack-djl-payara.md §5), a small LRU of resident models keyed by
 * content digest, and tokenizers shared by all threads (the Rust tokenizer is thread-safe).
 * Generations run with step-level continuous batching ({@link StepBatcher}): up to {@code maxBatch}
 * in flight share forwards, joining and leaving between steps, in arrival order; a cancelled one
 * leaves at the next step. Likelihoods and model loads run between two steps.
 */
public final class LocalWorkerPool implements WorkerPool {

  private final ExecutorService inference;
  private final String device;
  private final int residentModels;
  private final Map<String, DjlMaskPredictor> resident = new LinkedHashMap<>(4, 0.75f, true);
  private final Map<String, Tokens> tokenizers = new ConcurrentHashMap<>();
  private final int maxBatch;
  private final java.util.Queue<Pending> pending =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final Map<String, Running> running = new LinkedHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean pumpQueued =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Generations in flight by default, across models (continuous batching). */
  public static final int DEFAULT_MAX_BATCH = 8;

  /**
   * @param threads where the inference thread comes from (a container's managed factory)
   * @param device {@code cpu} or {@code gpuN}
   * @param residentModels how many models stay loaded (least recently used one goes first)
   */
  public LocalWorkerPool(ThreadFactory threads, String device, int residentModels) {
    this(threads, device, residentModels, DEFAULT_MAX_BATCH);
  }

  /**
   * @param maxBatch generations in flight at once: they share forwards step by step
   */
  public LocalWorkerPool(ThreadFactory threads, String device, int residentModels, int maxBatch) {
    if (residentModels < 1 || maxBatch < 1) {
      throw new IllegalArgumentException("residentModels and maxBatch must be >= 1");
    }
    this.maxBatch = maxBatch;
    this.device = device;
    this.residentModels = residentModels;
    AtomicInteger n = new AtomicInteger();
    this.inference =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = threads.newThread(r);
              t.setName("llada-inference-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
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

  @Override
  public int[] encode(ModelRef model, String text) {
    return tokens(model).tokenizer().encode(text);
  }

  @Override
  public String decode(ModelRef model, int[] ids) {
    return tokens(model).tokenizer().decode(ids, true);
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
  public CompletableFuture<GenerationResult> generate(GenerationJob job) {
    tokens(job.model()); // fail fast on a broken model directory
    CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    pending.add(new Pending(job, future));
    schedulePump();
    return future;
  }

  /** A generation waiting to join its model's batch. */
  private record Pending(GenerationJob job, CompletableFuture<GenerationResult> future) {}

  /** A generation in a running batch (inference thread only). */
  private record Live(
      GenerationJob job, CompletableFuture<GenerationResult> future, Denoising state, long start) {}

  /** One model's running batch (inference thread only). */
  private record Running(StepBatcher batcher, List<Live> live) {}

  /** Puts one pump step on the inference thread unless one is queued already. */
  private void schedulePump() {
    if (pumpQueued.compareAndSet(false, true)) {
      try {
        inference.execute(this::pump);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        pumpQueued.set(false);
        for (Pending p; (p = pending.poll()) != null; ) {
          p.future()
              .completeExceptionally(new IllegalStateException("the worker pool is shut down", e));
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
    admit();
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      Running r = it.next().getValue();
      r.live().removeIf(this::leftIfCancelled);
      List<Denoising> batch = r.live().stream().map(Live::state).toList();
      try {
        r.batcher().step(batch);
      } catch (RuntimeException | Error e) { // a forward failed: every request in it fails
        r.live().forEach(l -> l.future().completeExceptionally(e));
        r.live().forEach(l -> r.batcher().leave(l.state()));
        r.live().clear();
      }
      r.live().removeIf(this::answeredIfDone);
      if (r.live().isEmpty()) {
        it.remove();
      }
    }
    if (!running.isEmpty() || !pending.isEmpty()) {
      schedulePump();
    }
  }

  private void admit() {
    int inFlight = running.values().stream().mapToInt(r -> r.live().size()).sum();
    while (inFlight < maxBatch) {
      Pending p = pending.poll();
      if (p == null) {
        return;
      }
      GenerationJob job = p.job();
      if (job.cancelled().getAsBoolean()) {
        p.future().completeExceptionally(new GenerationCancelledException(0));
        continue;
      }
      try {
        Tokens tokens = tokens(job.model());
        Running r = running.get(job.model().digest());
        if (r == null) {
          r =
              new Running(
                  new StepBatcher(predictor(job.model()), tokens.special()), new ArrayList<>());
          running.put(job.model().digest(), r);
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
        inFlight++;
      } catch (RuntimeException | Error e) { // a bad request or a model that does not load
        p.future().completeExceptionally(e);
      }
    }
  }

  /** A cancelled generation leaves its batch and answers with the steps it ran. */
  private boolean leftIfCancelled(Live l) {
    if (!l.state().done() && l.job().cancelled().getAsBoolean()) {
      running.get(l.job().model().digest()).batcher().leave(l.state());
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
    tokens(job.model()); // fail fast on a broken model directory
    return submit(
        () -> {
          long start = System.nanoTime();
          if (job.cancelled().getAsBoolean()) {
            throw new GenerationCancelledException("likelihood cancelled before it ran", 0);
          }
          LikelihoodEstimate e;
          try {
            e =
                new LogLikelihood(predictor(job.model()))
                    .estimate(
                        job.contextIds(),
                        job.continuationIds(),
                        job.mcNum(),
                        job.batchSize(),
                        job.cfgScale(),
                        new SplittableRandom(job.seed()),
                        job.cancelled());
          } catch (dev.llada.core.likelihood.EstimationStoppedException stopped) {
            throw new GenerationCancelledException(stopped.getMessage(), stopped.batchesRun());
          }
          return new LikelihoodResult(
              e.logLikelihood(),
              e.standardError(),
              e.mcNum(),
              e.nfe(),
              (System.nanoTime() - start) / 1_000_000);
        });
  }

  /** Runs on the inference thread: the resident predictor of {@code model}, loading it once. */
  private DjlMaskPredictor predictor(ModelRef model) {
    DjlMaskPredictor p = resident.get(model.digest());
    if (p == null) {
      // the least recently used model goes, but never one a running batch uses
      for (var it = resident.entrySet().iterator();
          resident.size() >= residentModels && it.hasNext(); ) {
        var e = it.next();
        if (!running.containsKey(e.getKey())) {
          e.getValue().close();
          it.remove();
        }
      }
      p = DjlMaskPredictor.load(model.directory(), device);
      resident.put(model.digest(), p);
    }
    return p;
  }

  private <T> CompletableFuture<T> submit(Supplier<T> work) {
    CompletableFuture<T> future = new CompletableFuture<>();
    try {
      inference.execute(
          () -> {
            try {
              future.complete(work.get());
            } catch (Throwable t) {
              future.completeExceptionally(t);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      future.completeExceptionally(new IllegalStateException("the worker pool is shut down", e));
    }
    return future;
  }

  /** Frees every resident model's native memory on the inference thread, then stops it. */
  @Override
  public void close() {
    try {
      inference.execute(
          () -> {
            IllegalStateException closed =
                new IllegalStateException("the worker pool is shut down");
            running
                .values()
                .forEach(r -> r.live().forEach(l -> l.future().completeExceptionally(closed)));
            running.clear();
            for (Pending p; (p = pending.poll()) != null; ) {
              p.future().completeExceptionally(closed);
            }
            resident.values().forEach(DjlMaskPredictor::close);
            resident.clear();
          });
    } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
      return;
    }
    inference.shutdown();
    try {
      inference.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tokenizers.values().forEach(t -> t.tokenizer().close());
    tokenizers.clear();
  }
}

package dev.llada.worker;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.likelihood.LikelihoodEstimate;
import dev.llada.core.likelihood.LogLikelihood;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.sampling.StepEvent;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * content digest, and tokenizers shared by all threads (the Rust tokenizer is thread-safe). Jobs
 * run in arrival order; a cancelled job stops between two denoising steps.
 */
public final class LocalWorkerPool implements WorkerPool {

  private final ExecutorService inference;
  private final String device;
  private final int residentModels;
  private final Map<String, DjlMaskPredictor> resident = new LinkedHashMap<>(4, 0.75f, true);
  private final Map<String, Tokens> tokenizers = new ConcurrentHashMap<>();

  /**
   * @param threads where the inference thread comes from (a container's managed factory)
   * @param device {@code cpu} or {@code gpuN}
   * @param residentModels how many models stay loaded (least recently used one goes first)
   */
  public LocalWorkerPool(ThreadFactory threads, String device, int residentModels) {
    if (residentModels < 1) {
      throw new IllegalArgumentException("residentModels must be >= 1");
    }
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
    Tokens tokens = tokens(job.model());
    return submit(
        () -> {
          long start = System.nanoTime();
          AtomicInteger steps = new AtomicInteger();
          if (job.cancelled().getAsBoolean()) {
            throw new GenerationCancelledException(0);
          }
          StepEvent.Listener listener =
              e -> {
                steps.incrementAndGet();
                job.listener().onStep(e);
                if (job.cancelled().getAsBoolean() && steps.get() < job.config().steps()) {
                  throw new GenerationCancelledException(steps.get());
                }
              };
          Sampler sampler =
              job.acceleration() == null
                  ? new ReferenceSampler(predictor(job.model()), tokens.special())
                  : new FastSampler(predictor(job.model()), tokens.special(), job.acceleration());
          Generation g =
              sampler.generate(
                  new int[][] {job.promptIds()},
                  null,
                  job.config(),
                  new SplittableRandom(job.seed()),
                  listener);
          int[] generated = g.completion(0);
          int end = Generation.firstStop(generated, tokens.special());
          int[] answer = Arrays.copyOf(generated, end);
          return new GenerationResult(
              answer,
              tokens.tokenizer().decode(answer, true),
              end < generated.length ? "stop" : "length",
              steps.get(),
              g.nfe(),
              (System.nanoTime() - start) / 1_000_000,
              g.queryPositions());
        });
  }

  @Override
  public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
    tokens(job.model()); // fail fast on a broken model directory
    return submit(
        () -> {
          long start = System.nanoTime();
          LikelihoodEstimate e =
              new LogLikelihood(predictor(job.model()))
                  .estimate(
                      job.contextIds(),
                      job.continuationIds(),
                      job.mcNum(),
                      job.batchSize(),
                      job.cfgScale(),
                      new SplittableRandom(job.seed()));
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
      if (resident.size() >= residentModels) {
        var eldest = resident.entrySet().iterator().next();
        eldest.getValue().close();
        resident.remove(eldest.getKey());
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

package dev.llada.vrpo;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.GraphScalar;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.AdamW;
import dev.llada.core.training.LearningRateSchedule;
import dev.llada.core.training.TrainingCheckpoints;
import dev.llada.core.training.TrainingDivergedException;
import dev.llada.core.weights.ModelDirectory;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Runs a {@link VrpoRecipe} (llada-spec §6): the policy starts from the recipe's model and is
 * trained with the DPO-E loss against a frozen reference, AdamW with warm-up and cosine decay,
 * global-norm clipping and gradient accumulation; the result is written in the Hugging Face layout.
 *
 * <p>Exact resume: the pairs of step s come from a per-epoch shuffle of the dataset seeded by
 * (seed, epoch), the masks of each pair from (seed, step, micro-batch, pair), and a checkpoint
 * holds the parameters and both AdamW moments in float32; a run killed after checkpoint k and
 * restarted repeats steps k+1.. exactly (one intra-op thread). Metrics rows after the checkpoint
 * are dropped on resume, so {@code metrics.jsonl} reads as one uninterrupted run.
 */
public final class VrpoTrainer {

  /** Receives one event per optimiser step (the platform streams them). */
  public interface Listener {
    void onStep(Progress progress);
  }

  /**
   * One step's figures, means over its pairs.
   *
   * @param loss the objective (ℓ_DPO-E + sft_weight·SFT), divided as its gradient is
   * @param rewardMargin the mean score ŝ = β[(B̂θ − B̂ref)(yw) − (B̂θ − B̂ref)(yl)]
   * @param preferenceAccuracy the fraction of pairs with ŝ > 0
   * @param scoreVariance the mean plug-in estimate of V[ŝ] (NaN when n_t = 1)
   * @param klToReference mean of B̂ref(y) − B̂θ(y) over both responses: with ELBOs in place of
   *     log-likelihoods, an estimate of KL(πref ‖ πθ) per response on the data's responses (which
   *     are mostly the reference's own samples)
   */
  public record Progress(
      int step,
      int steps,
      double loss,
      double rewardMargin,
      double preferenceAccuracy,
      double scoreVariance,
      double klToReference,
      double lr,
      double gradNorm,
      long tokens,
      double tokensPerSecond,
      double elapsedSeconds) {}

  /** What a run did. */
  public record Result(int firstStep, int lastStep, boolean cancelled, Path model) {}

  private final VrpoRecipe recipe;
  private final PrintStream progress;
  private final Listener listener;
  private final BooleanSupplier cancelled;

  public VrpoTrainer(
      VrpoRecipe recipe, PrintStream progress, Listener listener, BooleanSupplier cancelled) {
    this.recipe = recipe;
    this.progress = progress;
    this.listener = listener;
    this.cancelled = cancelled;
  }

  /** Trains to the recipe's last step, resuming from the newest checkpoint if there is one. */
  public Result run() {
    return run(Integer.MAX_VALUE);
  }

  /** Trains, but returns after {@code stopAfter} steps without a checkpoint (as a kill would). */
  public Result run(int stopAfter) {
    try {
      return train(stopAfter);
    } catch (IOException e) {
      throw new UncheckedIOException("training " + recipe.name() + ": " + e.getMessage(), e);
    }
  }

  /** The row seed of step {@code step}, micro-batch {@code micro}, pair {@code i}. */
  static SplittableRandom random(long seed, int step, int micro, int i) {
    return new SplittableRandom(
        seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + micro * 7919L + i * 104_729L + 17);
  }

  private Result train(int stopAfter) throws IOException {
    Path out = recipe.output();
    LladaConfig config = LladaConfig.read(recipe.policy());
    LladaConfig refConfig = LladaConfig.read(recipe.reference());
    if (refConfig.vocabSize() != config.vocabSize()
        || refConfig.maskTokenId() != config.maskTokenId()) {
      throw new IllegalArgumentException(
          "the reference " + recipe.reference() + " has another vocabulary than the policy");
    }
    Engine.getEngine("PyTorch");
    try (LladaTokenizer tokenizer = LladaTokenizer.load(recipe.policy())) {
      PreferenceData.Dataset data =
          PreferenceData.load(recipe.data(), tokenizer, config.maxSequenceLength());
      if (data.pairs().isEmpty()) {
        throw new IllegalArgumentException("the dataset " + recipe.data() + " holds no pair");
      }
      Files.createDirectories(out);
      Path checkpoints = out.resolve("checkpoints");
      Path latest = TrainingCheckpoints.latest(checkpoints);
      VrpoRecipe.Optimization o = recipe.train();
      DpoObjective objective = recipe.objective(config.maskTokenId(), config.eosTokenId());
      LearningRateSchedule schedule =
          new LearningRateSchedule(o.lr(), o.warmup(), o.steps(), "cosine", 0, o.minLrRatio());
      float[][] precomputed = null;
      if (recipe.vrpo().precomputeReference()) {
        try (LladaNetwork reference = LladaNetwork.load(recipe.reference(), Device.cpu(), false)) {
          precomputed =
              PrecomputedReference.table(
                  recipe, data.pairs(), data.digest(), objective, reference, progress);
        }
      }
      try (LladaNetwork policy = LladaNetwork.load(recipe.policy(), Device.cpu(), false);
          LladaNetwork reference =
              precomputed == null
                  ? LladaNetwork.load(recipe.reference(), Device.cpu(), false)
                  : null) {
        Map<String, NDArray> params = policy.parameters();
        AdamW adam =
            new AdamW(params, o.beta1(), o.beta2(), o.weightDecay(), AdamW.decayedMatrices(params));
        int start = 0;
        long tokens = 0;
        Path metrics = out.resolve("metrics.jsonl");
        MetricsLog log = new MetricsLog(metrics, recipe.name(), progress);
        if (latest != null) {
          TrainingCheckpoints.Restored r =
              TrainingCheckpoints.restore(latest, params, adam, recipe.sha256());
          if (!data.digest().equals(r.metadata().get("data_digest"))) {
            throw new IllegalArgumentException(
                "the dataset changed since "
                    + latest
                    + " was written ("
                    + r.metadata().get("data_digest")
                    + ", now "
                    + data.digest()
                    + "); delete "
                    + checkpoints
                    + " to start over");
          }
          start = r.step();
          tokens = r.tokens();
          log.truncate(start);
          progress.printf(
              "[%s] resuming from %s (step %d)%n", recipe.name(), latest.getFileName(), start);
        } else {
          Files.deleteIfExists(metrics);
          progress.printf(
              "[%s] %d pairs (%d duplicates dropped), %s, budget %s, β %.3g, SFT weight %.3g%n",
              recipe.name(),
              data.pairs().size(),
              data.duplicates(),
              data.digest(),
              recipe.vrpo().budget(),
              recipe.vrpo().beta(),
              recipe.vrpo().sftWeight());
        }
        params.values().forEach(p -> p.setRequiresGradient(true));
        TokenScorer policyScorer = new NetworkScorer(policy);
        // the reference never requires a gradient
        TokenScorer referenceScorer = reference == null ? null : new NetworkScorer(reference);
        PairOrder order = new PairOrder(data.pairs().size(), recipe.seed());
        Map<String, String> lineage = Map.of("data_digest", data.digest());
        long t0 = System.nanoTime();
        long tokensAtStart = tokens;
        int step = start;
        boolean stopped = false;
        for (int ran = 0; step < o.steps() && ran < stopAfter; step++, ran++) {
          double lr = schedule.at(step);
          StepStats stats = new StepStats();
          int perStep = o.pairsPerStep() * o.gradAccum();
          for (int micro = 0; micro < o.gradAccum() && !stopped; micro++) {
            for (int i = 0; i < o.pairsPerStep(); i++) {
              if (cancelled.getAsBoolean()) {
                stopped = true;
                break;
              }
              long g = ((long) step * o.gradAccum() + micro) * o.pairsPerStep() + i;
              PreferencePair pair = data.pairs().get(order.at(g));
              float[] referenceElbos =
                  precomputed != null
                      ? precomputed[(int) g]
                      : reference(objective, referenceScorer, pair, step, micro, i, reference);
              try (NDScope scope = new NDScope();
                  NDManager m = policy.manager().newSubManager();
                  GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                DpoObjective.Terms terms =
                    objective.terms(
                        policyScorer,
                        referenceElbos,
                        pair,
                        random(recipe.seed(), step, micro, i),
                        m);
                gc.backward(terms.loss().div(GraphScalar.of(terms.loss(), perStep)));
                stats.add(terms, perStep);
              }
              tokens += tokens(pair);
            }
          }
          if (stopped) {
            zeroGradients(params);
            break; // the step in progress is dropped; the last complete one is checkpointed
          }
          double norm = update(params, adam, lr, step, stats.loss);
          int done = step + 1;
          double seconds = (System.nanoTime() - t0) / 1e9;
          Progress p =
              new Progress(
                  done,
                  o.steps(),
                  stats.loss,
                  stats.margin / stats.n,
                  (double) stats.correct / stats.n,
                  stats.varianceN == 0 ? Double.NaN : stats.variance / stats.varianceN,
                  stats.kl / stats.n,
                  lr,
                  norm,
                  tokens,
                  (tokens - tokensAtStart) / Math.max(seconds, 1e-9),
                  seconds);
          listener.onStep(p);
          if (done % o.logEvery() == 0 || done == o.steps() || step == start) {
            log.log(p, start);
          }
          if (done % o.checkpointEvery() == 0 && done < o.steps()) {
            TrainingCheckpoints.save(
                checkpoints, done, tokens, params, adam, recipe.sha256(), lineage);
          }
        }
        if (stopped) {
          if (step > start) {
            TrainingCheckpoints.save(
                checkpoints, step, tokens, params, adam, recipe.sha256(), lineage);
          }
          progress.printf("[%s] cancelled after step %d%n", recipe.name(), step);
          return new Result(start, step, true, null);
        }
        if (step < o.steps()) {
          return new Result(start, step, false, null); // stopped early, as a kill would
        }
        TrainingCheckpoints.save(checkpoints, step, tokens, params, adam, recipe.sha256(), lineage);
        TrainingCheckpoints.writeModel(out, config, policy);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
          Files.copy(
              recipe.policy().resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        writeLineage(out, data, step, tokens);
        progress.printf("[%s] done: %d steps, model in %s%n", recipe.name(), step, out);
        return new Result(start, step, false, out);
      }
    }
  }

  /**
   * The reference's ELBO samples of a pair, before and outside the policy's gradient collector: the
   * reference never runs under autograd.
   */
  private float[] reference(
      DpoObjective objective,
      TokenScorer scorer,
      PreferencePair pair,
      int step,
      int micro,
      int i,
      LladaNetwork reference) {
    try (NDScope scope = new NDScope();
        NDManager m = reference.manager().newSubManager()) {
      return objective.referenceElbos(scorer, pair, random(recipe.seed(), step, micro, i), m);
    }
  }

  /**
   * Tokens the forwards of one pair compute: 2·n rows of prompt + the longer response, for the
   * policy and (unless precomputed) the reference.
   */
  private long tokens(PreferencePair pair) {
    int n = recipe.vrpo().budget().samples();
    int width = pair.prompt().length + Math.max(pair.chosen().length, pair.rejected().length);
    return (recipe.vrpo().precomputeReference() ? 1L : 2L) * 2 * n * width;
  }

  /** Clips to the global norm, steps AdamW and clears the gradients; stops a diverged run. */
  private double update(Map<String, NDArray> params, AdamW adam, double lr, int step, double loss) {
    return adam.update(
        params,
        lr,
        step + 1,
        recipe.train().clip(),
        norm -> {
          if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            throw new TrainingDivergedException(
                String.format(
                    "training %s stopped at step %d: the %s is not finite; the last good"
                        + " checkpoint is %s",
                    recipe.name(),
                    step + 1,
                    Double.isFinite(loss) ? "gradient norm" : "loss",
                    TrainingCheckpoints.latest(recipe.output().resolve("checkpoints"))));
          }
        });
  }

  private static void zeroGradients(Map<String, NDArray> params) {
    try (NDScope scope = new NDScope()) {
      params.values().forEach(p -> p.getGradient().muli(0));
    }
  }

  private void writeLineage(Path out, PreferenceData.Dataset data, int steps, long tokens)
      throws IOException {
    JsonObject j = new JsonObject();
    j.addProperty("recipe", recipe.name());
    j.addProperty("recipe_sha256", recipe.sha256());
    // lineage, as the registry records it (ZooRegistration reads base_name and base_digest)
    j.addProperty("base_name", recipe.policy().getFileName().toString());
    j.addProperty("base_digest", ModelDirectory.describe(recipe.policy()).digest());
    j.addProperty("reference_digest", ModelDirectory.describe(recipe.reference()).digest());
    j.addProperty("policy_init", recipe.policy().toString());
    j.addProperty("reference", recipe.reference().toString());
    j.addProperty("data", recipe.data().toString());
    j.addProperty("data_digest", data.digest());
    j.addProperty("pairs", data.pairs().size());
    j.addProperty("steps", steps);
    j.addProperty("tokens", tokens);
    j.addProperty("budget", recipe.vrpo().budget().toString());
    Files.writeString(
        out.resolve("vrpo.json"),
        new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(j) + "\n",
        StandardCharsets.UTF_8);
  }

  /** Per-step sums. */
  private static final class StepStats {
    double loss;
    double margin;
    double kl;
    double variance;
    int varianceN;
    int correct;
    int n;

    void add(DpoObjective.Terms t, int perStep) {
      loss += t.lossValue() / perStep;
      margin += t.score();
      kl +=
          ((t.referenceChosen() - t.policyChosen()) + (t.referenceRejected() - t.policyRejected()))
              / 2;
      if (Double.isFinite(t.scoreVariance())) {
        variance += t.scoreVariance();
        varianceN++;
      }
      correct += t.correct() ? 1 : 0;
      n++;
    }
  }
}

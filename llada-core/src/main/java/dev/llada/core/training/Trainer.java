package dev.llada.core.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import dev.llada.core.model.GraphScalar;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.model.RouterStats;
import dev.llada.core.tokenizer.ByteLevelTokenizerWriter;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.weights.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Recipe}: builds or restores the model, trains it, checkpoints it, and writes the
 * final model directory in the Hugging Face layout (config.json, model.safetensors, tokenizer
 * files).
 *
 * <p>Exact resume: the rows and masks of step s depend only on (seed, s), and a checkpoint holds
 * the parameters and both AdamW moments in float32, so a run killed after checkpoint k and
 * restarted repeats steps k+1.. with the same losses as an uninterrupted run (one intra-op thread).
 */
public final class Trainer {

  private final Recipe recipe;
  private final PrintStream progress;

  public Trainer(Recipe recipe, PrintStream progress) {
    this.recipe = recipe;
    this.progress = progress;
  }

  /** What a run did. */
  public record Result(int firstStep, int lastStep, double lastLoss, Path model) {}

  /** Trains to the recipe's last step (resuming from the newest checkpoint, if any). */
  public Result run() {
    return run(Integer.MAX_VALUE);
  }

  /**
   * Trains, but returns after {@code stopAfter} steps of this run without a final checkpoint — what
   * a kill at that moment leaves behind (for tests).
   */
  public Result run(int stopAfter) {
    try {
      return train(stopAfter);
    } catch (IOException e) {
      throw new UncheckedIOException("training " + recipe.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the model of the newest checkpoint to {@code into} (config.json, model.safetensors,
   * tokenizer), as the final model would be written at that step: a run in progress can be
   * evaluated without stopping it. Returns the checkpoint's step.
   */
  public int exportLatest(Path into) {
    Path out = recipe.output();
    Path latest = latestCheckpoint(out.resolve("checkpoints"));
    if (latest == null) {
      throw new IllegalArgumentException(out + " has no checkpoint to export");
    }
    try (LladaTokenizer tokenizer = LladaTokenizer.load(out)) {
      LladaConfig config = config(tokenizer);
      Files.createDirectories(into);
      try (LladaNetwork network = LladaNetwork.initialize(config, Device.cpu(), recipe.seed())) {
        TrainingCheckpoints.Restored restored =
            TrainingCheckpoints.restore(latest, network.parameters(), null, recipe.sha256());
        TrainingCheckpoints.writeModel(into, config, network);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
          Files.copy(out.resolve(f), into.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return restored.step();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Result train(int stopAfter) throws IOException {
    Path out = recipe.output();
    Files.createDirectories(out);
    prepareTokenizer(out);
    Engine engine = Engine.getEngine("PyTorch");
    try (LladaTokenizer tokenizer = LladaTokenizer.load(out)) {
      LladaConfig config = config(tokenizer);
      TrainingData data = new TrainingData(recipe, tokenizer);
      Recipe.Optimization o = recipe.train();
      LearningRateSchedule schedule =
          new LearningRateSchedule(
              o.lr(), o.warmup(), o.steps(), o.schedule(), o.decayFraction(), o.minLrRatio());
      Path checkpoints = out.resolve("checkpoints");
      Path latest = latestCheckpoint(checkpoints);
      LladaNetwork network =
          recipe.init() != null && latest == null
              ? fromInit(config)
              : LladaNetwork.initialize(config, Device.cpu(), recipe.seed());
      try (network) {
        Map<String, NDArray> params = network.parameters();
        AdamW adam =
            new AdamW(params, o.beta1(), o.beta2(), o.weightDecay(), AdamW.decayedMatrices(params))
                .freeze(network.buffers());
        int start = 0;
        long tokens = 0;
        if (latest != null) {
          TrainingCheckpoints.Restored restored =
              TrainingCheckpoints.restore(latest, params, adam, recipe.sha256());
          start = restored.step();
          tokens = restored.tokens();
          progress.printf(
              "[%s] resuming from %s (step %d)%n", recipe.name(), latest.getFileName(), start);
        }
        java.util.Set<String> buffers = network.buffers();
        params.forEach((name, p) -> p.setRequiresGradient(!buffers.contains(name)));
        Path metrics = out.resolve("metrics.jsonl");
        long t0 = System.nanoTime();
        long tokensAtStart = tokens;
        double loss = Double.NaN;
        // mean loss per task since the last metrics row (each micro-batch holds one task)
        Map<String, double[]> taskLoss = new java.util.TreeMap<>();
        RouterWindow routers = new RouterWindow(); // MoE router losses and expert loads
        int step = start;
        for (int ran = 0; step < o.steps() && ran < stopAfter; step++, ran++) {
          double lr = schedule.at(step);
          loss = 0;
          for (int micro = 0; micro < o.gradAccum(); micro++) {
            TrainingData.Batch batch = data.batch(step, micro);
            MaskedDiffusionLoss.Noised noised =
                MaskedDiffusionLoss.noise(
                    batch,
                    recipe.objective(),
                    config.maskTokenId(),
                    TrainingData.random(recipe.seed(), step, micro, 2),
                    o.eosPadWeight());
            Micro micro0 = backward(network, noised, o.gradAccum());
            double part = micro0.loss();
            loss += part / o.gradAccum(); // the step's loss, divided as its gradient is
            routers.add(micro0);
            double[] acc = taskLoss.computeIfAbsent(batch.task(), t -> new double[2]);
            acc[0] += part; // the micro-batch's own loss
            acc[1]++;
            tokens += (long) noised.noisy().length * noised.noisy()[0].length;
          }
          double stepLoss = loss;
          int at = step;
          double norm =
              adam.update(
                  params,
                  lr,
                  step + 1,
                  o.clip(),
                  divergenceGuard(recipe.name(), at, stepLoss, checkpoints));
          int done = step + 1;
          if (done % o.logEvery() == 0 || done == o.steps() || step == start) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            double rate = (tokens - tokensAtStart) / Math.max(seconds, 1e-9);
            JsonObject row = new JsonObject();
            row.addProperty("step", done);
            row.addProperty("loss", loss);
            row.addProperty("lr", lr);
            row.addProperty("grad_norm", norm);
            row.addProperty("tokens", tokens);
            row.addProperty("tokens_per_s", Math.round(rate));
            row.addProperty("elapsed_s", Math.round(seconds * 10) / 10.0);
            JsonObject perTask = new JsonObject();
            taskLoss.forEach((t, acc) -> perTask.addProperty(t, acc[0] / acc[1]));
            row.add("task_loss", perTask);
            taskLoss.clear();
            routers.addTo(row);
            Files.writeString(
                metrics,
                new Gson().toJson(row) + "\n",
                StandardCharsets.UTF_8,
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
            double eta = (o.steps() - done) * seconds / Math.max(1, done - start);
            progress.printf(
                "[%s] step %d/%d  loss %.4f  lr %.2e  |g| %.3f  %,d tok/s  ETA %dm%02ds%n",
                recipe.name(),
                done,
                o.steps(),
                loss,
                lr,
                norm,
                Math.round(rate),
                (long) eta / 60,
                (long) eta % 60);
          }
          if (done % o.checkpointEvery() == 0 && done < o.steps()) {
            save(checkpoints, done, tokens, params, adam);
          }
        }
        if (step < o.steps()) {
          return new Result(start, step, loss, null); // stopped early, as a kill would
        }
        save(checkpoints, step, tokens, params, adam);
        TrainingCheckpoints.writeModel(out, config, network);
        progress.printf("[%s] done: %d steps, model in %s%n", recipe.name(), step, out);
        return new Result(start, step, loss, out);
      }
    }
  }

  /**
   * One micro-batch's results: its own (undivided) masked-diffusion loss and, for an MoE, the mean
   * over layers of its routers' load-balancing and z losses and each layer's expert loads.
   */
  record Micro(double loss, double balanceLoss, double zLoss, long[][] loads) {}

  /**
   * One micro-batch: forward, weighted CE (plus, for an MoE, the router losses with their
   * coefficients), backward of that divided by {@code accum}.
   */
  static Micro backward(LladaNetwork network, MaskedDiffusionLoss.Noised n, int accum) {
    int rows = n.noisy().length;
    int length = n.noisy()[0].length;
    long[] ids = new long[rows * length];
    long[] targets = new long[rows * length];
    float[] weights = new float[rows * length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        ids[r * length + i] = n.noisy()[r][i];
        targets[r * length + i] = n.targets()[r][i];
        weights[r * length + i] = n.weights()[r][i];
      }
    }
    MoeSpec moe = network.config().moe();
    try (NDScope scope = new NDScope();
        NDManager m = network.manager().newSubManager();
        GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray x = m.create(ids, new Shape(rows, length));
      NDArray y = m.create(targets, new Shape(rows, length, 1));
      NDArray w = m.create(weights, new Shape(rows, length));
      RouterStats stats = moe != null ? new RouterStats() : null;
      NDArray logits = network.forward(x, null, 0, length, stats);
      NDArray logp = logits.logSoftmax(2).gather(y, 2).reshape(rows, length);
      NDArray loss = logp.mul(w).sum().neg(); // Σ_masked CE / p, normalised through w
      NDArray objective = loss;
      double balance = Double.NaN;
      double z = Double.NaN;
      if (stats != null) { // LLaDA-MoE: + 0.01 · load balancing + 0.001 · z (llada-spec §7.1)
        NDArray b = stats.balanceLoss();
        NDArray zl = stats.zLoss();
        objective =
            loss.add(b.mul(GraphScalar.of(b, moe.auxLossCoef())))
                .add(zl.mul(GraphScalar.of(zl, moe.zLossCoef())));
        balance = b.getFloat();
        z = zl.getFloat();
      }
      gc.backward(objective.div(GraphScalar.of(objective, accum)));
      return new Micro(loss.getFloat(), balance, z, stats == null ? null : stats.loads());
    }
  }

  private void prepareTokenizer(Path out) throws IOException {
    if (Files.isRegularFile(out.resolve("tokenizer.json"))) {
      return;
    }
    if (recipe.init() != null) {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        Path source = recipe.init().resolve(f);
        if (!Files.isRegularFile(source)) {
          throw new IllegalArgumentException("init model " + recipe.init() + " has no " + f);
        }
        Files.copy(source, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    } else {
      ByteLevelTokenizerWriter.write(out, List.of());
    }
  }

  private LladaConfig config(LladaTokenizer tokenizer) {
    if (recipe.init() != null) {
      LladaConfig init = LladaConfig.read(recipe.init());
      Recipe.ModelShape s = recipe.model();
      if (init.dModel() != s.dModel()
          || init.nLayers() != s.nLayers()
          || init.nHeads() != s.nHeads()
          || init.mlpHiddenSize() != s.mlpHiddenSize()) {
        throw new IllegalArgumentException(
            "the recipe's model section does not match the init model "
                + recipe.init()
                + " (d_model "
                + init.dModel()
                + ", n_layers "
                + init.nLayers()
                + ", n_heads "
                + init.nHeads()
                + ", mlp_hidden_size "
                + init.mlpHiddenSize()
                + ")");
      }
      // the init's weights with the recipe's context: extending it (RoPE has no learnt positions)
      if (s.maxSequenceLength() < init.maxSequenceLength()) {
        throw new IllegalArgumentException(
            "model.max_sequence_length "
                + s.maxSequenceLength()
                + " would shrink the init model's context of "
                + init.maxSequenceLength());
      }
      if ((s.moe() == null) != (init.moe() == null)) {
        throw new IllegalArgumentException(
            "the recipe's model section and the init model "
                + recipe.init()
                + " are of different families (dense and MoE)");
      }
      LladaConfig extended = init.withMaxSequenceLength(s.maxSequenceLength());
      return s.moe() == null ? extended : withRecipeRouting(extended, s.moe());
    }
    int vocab =
        Math.max(
                Math.max(tokenizer.maskId(), tokenizer.eosId()),
                Math.max(tokenizer.eotId(), tokenizer.bosId()))
            + 1;
    Recipe.ModelShape s = recipe.model();
    Recipe.MoeShape moe = s.moe();
    return new LladaConfig(
        s.dModel(),
        s.nHeads(),
        s.nKvHeads(),
        s.nLayers(),
        s.mlpHiddenSize(),
        vocab,
        vocab,
        s.ropeTheta(),
        1e-5,
        s.maxSequenceLength(),
        tokenizer.maskId(),
        tokenizer.eosId(),
        tokenizer.eosId(),
        moe != null && moe.qkNorm(),
        moe == null
            ? null
            : new MoeSpec(
                moe.experts(),
                moe.topK(),
                s.mlpHiddenSize(),
                moe.normTopKProb(),
                false,
                moe.auxLossCoef(),
                moe.zLossCoef()));
  }

  /**
   * An MoE init's config with the recipe's router-loss coefficients; the recipe's routing (experts,
   * top-k, renormalisation, q/k norm) must be the init's, since the weights are.
   */
  private LladaConfig withRecipeRouting(LladaConfig init, Recipe.MoeShape r) {
    MoeSpec m = init.moe();
    if (m.experts() != r.experts()
        || m.topK() != r.topK()
        || m.normTopKProb() != r.normTopKProb()
        || init.qkNorm() != r.qkNorm()) {
      throw new IllegalArgumentException(
          String.format(
              "the recipe's model.moe (experts %d, top_k %d, norm_topk_prob %s, qk_norm %s) does"
                  + " not match the init model %s (experts %d, top_k %d, norm_topk_prob %s,"
                  + " qk_norm %s)",
              r.experts(),
              r.topK(),
              r.normTopKProb(),
              r.qkNorm(),
              recipe.init(),
              m.experts(),
              m.topK(),
              m.normTopKProb(),
              init.qkNorm()));
    }
    return init.withMoe(
        new MoeSpec(
            m.experts(),
            m.topK(),
            m.expertHiddenSize(),
            m.normTopKProb(),
            m.expertBias(),
            r.auxLossCoef(),
            r.zLossCoef()));
  }

  private LladaNetwork fromInit(LladaConfig config) {
    try (Checkpoint checkpoint = Checkpoint.open(recipe.init())) {
      return LladaNetwork.load(config, checkpoint, Device.cpu());
    }
  }

  private void save(Path dir, int step, long tokens, Map<String, NDArray> params, AdamW adam)
      throws IOException {
    TrainingCheckpoints.save(dir, step, tokens, params, adam, recipe.sha256(), Map.of());
  }

  /**
   * What {@link AdamW#update} calls with the gradient norm: stops a run whose loss or gradient norm
   * is not finite, naming the step and the last good checkpoint in {@code checkpoints}.
   */
  static java.util.function.DoubleConsumer divergenceGuard(
      String name, int step, double loss, Path checkpoints) {
    return n -> {
      if (!Double.isFinite(loss) || !Double.isFinite(n)) {
        Path last = latestCheckpoint(checkpoints);
        throw new TrainingDivergedException(
            String.format(
                "training %s stopped at step %d: the %s is %s; the last good checkpoint is %s",
                name,
                step,
                Double.isFinite(loss) ? "gradient norm" : "loss",
                Double.isFinite(loss) ? n : loss,
                last == null ? "none" : last));
      }
    };
  }

  static Path latestCheckpoint(Path dir) {
    return TrainingCheckpoints.latest(dir);
  }
}

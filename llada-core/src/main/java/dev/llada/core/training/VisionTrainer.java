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
import dev.llada.core.config.ModelFamily;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.model.Splice;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ImagePreprocessor;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.PreprocessorConfig;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionModelConfig;
import dev.llada.core.vision.VisionModelFiles;
import dev.llada.core.vision.VisionTower;
import dev.llada.core.weights.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Runs a {@link VisionRecipe}: LLaDA-V's training on the visual task suite (llada-spec §8). The
 * language model starts from the recipe's Instruct model, the tower, projector and image newline
 * from a random init; each micro-batch is either visual questions (the image's rows spliced in at
 * its placeholder, response-only masked-diffusion loss, §5.2) or text rows of the Instruct's tasks
 * ({@link TrainingData}, so the language model keeps them). Stages run in order: a {@code vision}
 * stage trains only the visual parameters (LLaDA-V's alignment; the language model is frozen), an
 * {@code all} stage every parameter.
 *
 * <p>Exact resume as {@link Trainer}: rows, images and masks of step s depend only on (seed, s),
 * and a checkpoint holds every parameter with both AdamW moments.
 */
public final class VisionTrainer {

  /** Answer slots after a visual question: the longest answer ("triangle"), EoT and slack. */
  public static final int GEN_LENGTH = 12;

  private final VisionRecipe recipe;
  private final PrintStream progress;

  public VisionTrainer(VisionRecipe recipe, PrintStream progress) {
    this.recipe = recipe;
    this.progress = progress;
  }

  /** Trains to the last step of the last stage (resuming from the newest checkpoint). */
  public Trainer.Result run() {
    return run(Integer.MAX_VALUE);
  }

  /** Trains, returning after {@code stopAfter} steps of this run with no final checkpoint. */
  public Trainer.Result run(int stopAfter) {
    try {
      return train(stopAfter);
    } catch (IOException e) {
      throw new UncheckedIOException("training " + recipe.name() + ": " + e.getMessage(), e);
    }
  }

  /** Writes the newest checkpoint's model to {@code into}; returns its step. */
  public int exportLatest(Path into) {
    Path latest = TrainingCheckpoints.latest(recipe.output().resolve("checkpoints"));
    if (latest == null) {
      throw new IllegalArgumentException(recipe.output() + " has no checkpoint to export");
    }
    LladaConfig config = languageConfig();
    try (LladaNetwork network = LladaNetwork.initialize(config, Device.cpu(), recipe.seed())) {
      VisionTower tower = tower(network);
      Map<String, NDArray> params = parameters(network, tower);
      int step = TrainingCheckpoints.restore(latest, params, null, recipe.sha256()).step();
      writeModel(into, config, network, tower);
      return step;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The canvas of visual questions: the longest prompt over 2,000 items per category, + slots. */
  public static int canvas(LladaTokenizer tokenizer, ShapeScenes scenes, int tokensPerImage) {
    SplittableRandom r = new SplittableRandom(12345);
    int longest = 0;
    for (ShapeScenes.Category c : ShapeScenes.Category.values()) {
      for (int i = 0; i < 2000; i++) {
        ShapeScenes.Item item = scenes.next(c, r, false);
        longest =
            Math.max(
                longest,
                ImagePrompt.question(tokenizer, item.question(), tokensPerImage, 0).ids().length);
      }
    }
    return longest + GEN_LENGTH;
  }

  private LladaConfig languageConfig() {
    LladaConfig init = LladaConfig.read(recipe.init());
    if (recipe.maxSequenceLength() < init.maxSequenceLength()) {
      throw new IllegalArgumentException(
          "max_sequence_length "
              + recipe.maxSequenceLength()
              + " would shrink the init model's context of "
              + init.maxSequenceLength());
    }
    if (init.family() != ModelFamily.LLADA) {
      throw new IllegalArgumentException(
          "the init model " + recipe.init() + " must be a dense LLaDA (model_type llada)");
    }
    return init.withMaxSequenceLength(recipe.maxSequenceLength());
  }

  private VisionTower tower(LladaNetwork network) {
    return VisionTower.initialize(
        recipe.vision(),
        network.config().dModel(),
        recipe.imageNewline(),
        network.manager(),
        recipe.seed() * 31 + 7);
  }

  private static Map<String, NDArray> parameters(LladaNetwork network, VisionTower tower) {
    Map<String, NDArray> params = new LinkedHashMap<>(network.parameters());
    params.putAll(tower.parameters());
    return params;
  }

  private Recipe textRecipe(LladaConfig c) {
    VisionRecipe.Common o = recipe.train();
    return new Recipe(
        recipe.name(),
        Recipe.Objective.SFT,
        recipe.seed(),
        recipe.output(),
        recipe.init(),
        new Recipe.ModelShape(
            c.dModel(),
            c.nHeads(),
            c.nKvHeads(),
            c.nLayers(),
            c.mlpHiddenSize(),
            c.ropeTheta(),
            c.maxSequenceLength(),
            null),
        recipe.text(),
        new Recipe.Optimization(
            recipe.steps(),
            o.batchSize(),
            1,
            recipe.stages().get(0).lr(),
            0,
            0,
            o.schedule(),
            o.decayFraction(),
            o.weightDecay(),
            o.beta1(),
            o.beta2(),
            o.clip(),
            o.checkpointEvery(),
            o.logEvery(),
            0,
            o.eosPadWeight()),
        recipe.sha256());
  }

  private Trainer.Result train(int stopAfter) throws IOException {
    Path out = recipe.output();
    Files.createDirectories(out);
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Path source = recipe.init().resolve(f);
      if (!Files.isRegularFile(source)) {
        throw new IllegalArgumentException("init model " + recipe.init() + " has no " + f);
      }
      if (!Files.isRegularFile(out.resolve(f))) {
        Files.copy(source, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Engine.getEngine("PyTorch");
    LladaConfig config = languageConfig();
    Path checkpoints = out.resolve("checkpoints");
    Path latest = TrainingCheckpoints.latest(checkpoints);
    try (LladaTokenizer tokenizer = LladaTokenizer.load(out);
        LladaNetwork network =
            latest == null
                ? fromInit(config)
                : LladaNetwork.initialize(config, Device.cpu(), recipe.seed())) {
      VisionTower tower = tower(network);
      ShapeScenes scenes = new ShapeScenes(recipe.vision().imageSize());
      int tokensPerImage = tower.tokensPerImage();
      int length = canvas(tokenizer, scenes, tokensPerImage);
      if (length > recipe.maxSequenceLength()) {
        throw new IllegalArgumentException(
            "visual questions need rows of "
                + length
                + " tokens, more than max_sequence_length "
                + recipe.maxSequenceLength());
      }
      TrainingData text =
          recipe.text().isEmpty() ? null : new TrainingData(textRecipe(config), tokenizer);
      Map<String, NDArray> params = parameters(network, tower);
      Set<String> decayed = new HashSet<>(AdamW.decayedMatrices(params));
      decayed.removeIf(n -> n.endsWith("position_embedding.weight"));
      VisionRecipe.Common o = recipe.train();
      AdamW adam = new AdamW(params, o.beta1(), o.beta2(), o.weightDecay(), decayed);
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
      Set<String> visual = tower.parameters().keySet();
      PreprocessorConfig pre = PreprocessorConfig.siglip(recipe.vision().imageSize());
      Path metrics = out.resolve("metrics.jsonl");
      long t0 = System.nanoTime();
      long tokensAtStart = tokens;
      Map<String, double[]> taskLoss = new TreeMap<>();
      int stage = -1;
      LearningRateSchedule schedule = null;
      double loss = Double.NaN;
      int step = start;
      int total = recipe.steps();
      for (int ran = 0; step < total && ran < stopAfter; step++, ran++) {
        int s = recipe.stageOf(step);
        VisionRecipe.Stage st = recipe.stages().get(s);
        if (s != stage) { // entering a stage (or resuming inside one): what it trains
          stage = s;
          Set<String> frozen = new HashSet<>();
          for (Map.Entry<String, NDArray> e : params.entrySet()) {
            boolean trains = st.trains() == VisionRecipe.Trains.ALL || visual.contains(e.getKey());
            e.getValue().setRequiresGradient(trains);
            if (!trains) {
              frozen.add(e.getKey());
            }
          }
          adam.frozen(frozen);
          Set<String> language = new HashSet<>(params.keySet());
          language.removeAll(visual);
          adam.scaled(language, st.languageLr() / st.lr());
          schedule =
              new LearningRateSchedule(
                  st.lr(), st.warmup(), st.steps(), o.schedule(), o.decayFraction(), 0);
          progress.printf(
              "[%s] stage %s: %s, %d steps from step %d%n",
              recipe.name(), st.name(), st.trains().name().toLowerCase(), st.steps(), step);
        }
        double lr = schedule.at(step - recipe.stageStart(s));
        SplittableRandom pick = TrainingData.random(recipe.seed(), step, 0, 10);
        boolean textStep = text != null && pick.nextDouble() < st.textFraction();
        Micro micro;
        if (textStep) {
          TrainingData.Batch batch = text.batch(step, 0);
          MaskedDiffusionLoss.Noised noised =
              MaskedDiffusionLoss.noise(
                  batch,
                  Recipe.Objective.SFT,
                  config.maskTokenId(),
                  TrainingData.random(recipe.seed(), step, 0, 2),
                  o.eosPadWeight());
          micro = backward(network, null, noised, null, null, null);
          add(taskLoss, batch.task(), micro.loss());
          tokens += (long) noised.noisy().length * noised.noisy()[0].length;
        } else {
          Questions q = questions(tokenizer, scenes, pre, tokensPerImage, length, step);
          MaskedDiffusionLoss.Noised noised =
              MaskedDiffusionLoss.noise(
                  q.batch(),
                  Recipe.Objective.SFT,
                  config.maskTokenId(),
                  TrainingData.random(recipe.seed(), step, 0, 2),
                  o.eosPadWeight());
          micro = backward(network, tower, noised, q.pixels(), q.positions(), q.categories());
          add(taskLoss, "vqa", micro.loss());
          for (Map.Entry<String, Double> e : micro.categoryLoss().entrySet()) {
            add(taskLoss, "vqa-" + e.getKey(), e.getValue());
          }
          tokens += (long) noised.noisy().length * noised.noisy()[0].length;
        }
        loss = micro.loss();
        double stepLoss = loss;
        int at = step;
        double norm =
            adam.update(
                params,
                lr,
                step + 1,
                o.clip(),
                Trainer.divergenceGuard(recipe.name(), at, stepLoss, checkpoints));
        int done = step + 1;
        if (done % o.logEvery() == 0 || done == total || step == start) {
          double seconds = (System.nanoTime() - t0) / 1e9;
          double rate = (tokens - tokensAtStart) / Math.max(seconds, 1e-9);
          JsonObject row = new JsonObject();
          row.addProperty("step", done);
          row.addProperty("stage", st.name());
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
          Files.writeString(
              metrics,
              new Gson().toJson(row) + "\n",
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.APPEND);
          double eta = (total - done) * seconds / Math.max(1, done - start);
          progress.printf(
              "[%s] %s step %d/%d  loss %.4f  lr %.2e  |g| %.3f  %,d tok/s  ETA %dm%02ds%n",
              recipe.name(),
              st.name(),
              done,
              total,
              loss,
              lr,
              norm,
              Math.round(rate),
              (long) eta / 60,
              (long) eta % 60);
        }
        if (done % o.checkpointEvery() == 0 && done < total) {
          TrainingCheckpoints.save(
              checkpoints, done, tokens, params, adam, recipe.sha256(), Map.of("stage", st.name()));
        }
      }
      if (step < total) {
        return new Trainer.Result(start, step, loss, null);
      }
      TrainingCheckpoints.save(
          checkpoints, step, tokens, params, adam, recipe.sha256(), Map.of("stage", "done"));
      writeModel(out, config, network, tower);
      progress.printf("[%s] done: %d steps, model in %s%n", recipe.name(), step, out);
      return new Trainer.Result(start, step, loss, out);
    }
  }

  private void writeModel(Path out, LladaConfig config, LladaNetwork network, VisionTower tower)
      throws IOException {
    VisionModelConfig vc =
        new VisionModelConfig(
            config.withFamily(ModelFamily.LLAVA_LLADA),
            recipe.vision(),
            recipe.imageNewline(),
            recipe.name() + "/siglip-tiny");
    VisionModelFiles.write(
        out, vc, network, tower, PreprocessorConfig.siglip(recipe.vision().imageSize()));
    if (!out.equals(recipe.output())) {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        Files.copy(recipe.output().resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static void add(Map<String, double[]> acc, String key, double value) {
    double[] a = acc.computeIfAbsent(key, k -> new double[2]);
    a[0] += value;
    a[1]++;
  }

  /** A micro-batch of visual questions: rows, the images' pixels and where their rows go. */
  record Questions(
      TrainingData.Batch batch, float[] pixels, int[][] positions, String[] categories) {}

  private Questions questions(
      LladaTokenizer tokenizer,
      ShapeScenes scenes,
      PreprocessorConfig pre,
      int tokensPerImage,
      int length,
      int step) {
    SplittableRandom r = TrainingData.random(recipe.seed(), step, 0, 11);
    int rows = recipe.train().batchSize();
    double total = recipe.questions().values().stream().mapToDouble(Double::doubleValue).sum();
    int[][] tokens = new int[rows][length];
    boolean[][] maskable = new boolean[rows][length];
    int[] answerLength = new int[rows];
    int[] paddingFrom = new int[rows];
    int[][] positions = new int[rows][];
    String[] categories = new String[rows];
    int size = recipe.vision().imageSize();
    float[] pixels = new float[rows * 3 * size * size];
    for (int row = 0; row < rows; row++) {
      double u = r.nextDouble() * total;
      ShapeScenes.Category category = null;
      for (Map.Entry<ShapeScenes.Category, Double> e : recipe.questions().entrySet()) {
        category = e.getKey();
        u -= e.getValue();
        if (u < 0) {
          break;
        }
      }
      ShapeScenes.Item item = scenes.next(category, r, false);
      ImagePrompt prompt =
          ImagePrompt.question(tokenizer, item.question(), tokensPerImage, tokenizer.eosId());
      int[] head = prompt.ids();
      int[] answer = tokenizer.encode(item.answer());
      int[] body = Canvas.response(tokenizer, answer, true, length - head.length);
      System.arraycopy(head, 0, tokens[row], 0, head.length);
      System.arraycopy(body, 0, tokens[row], head.length, body.length);
      for (int i = head.length; i < length; i++) {
        maskable[row][i] = true;
      }
      answerLength[row] = length - head.length;
      paddingFrom[row] = head.length + answer.length + 1;
      positions[row] = prompt.imagePositions();
      categories[row] = category.id();
      float[] p = ImagePreprocessor.pixels(item.image(), pre);
      System.arraycopy(p, 0, pixels, row * p.length, p.length);
    }
    return new Questions(
        new TrainingData.Batch("vqa", tokens, maskable, answerLength, paddingFrom),
        pixels,
        positions,
        categories);
  }

  /** A micro-batch's loss and, for visual questions, its mean row loss per category. */
  record Micro(double loss, Map<String, Double> categoryLoss) {}

  /**
   * Forward (with the images' rows spliced in when {@code tower} is given), the weighted CE of the
   * masked positions (Σ CE / p, normalised through the weights), backward.
   */
  static Micro backward(
      LladaNetwork network,
      VisionTower tower,
      MaskedDiffusionLoss.Noised n,
      float[] pixels,
      int[][] positions,
      String[] categories) {
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
    try (NDScope scope = new NDScope();
        NDManager m = network.manager().newSubManager();
        GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
      NDArray x = m.create(ids, new Shape(rows, length));
      NDArray y = m.create(targets, new Shape(rows, length, 1));
      NDArray w = m.create(weights, new Shape(rows, length));
      Splice splice = null;
      if (tower != null) {
        int size = tower.config().imageSize();
        NDArray image = m.create(pixels, new Shape(rows, 3, size, size));
        NDArray features = tower.imageTokens(image);
        int per = tower.tokensPerImage();
        int[] rowOf = new int[rows * per];
        int[] at = new int[rows * per];
        for (int r = 0; r < rows; r++) {
          for (int i = 0; i < per; i++) {
            rowOf[r * per + i] = r;
            at[r * per + i] = positions[r][i];
          }
        }
        splice = new Splice(rowOf, at, features);
      }
      NDArray logits = network.forward(x, null, 0, length, null, splice);
      NDArray rowLoss =
          logits.logSoftmax(2).gather(y, 2).reshape(rows, length).mul(w).sum(new int[] {1}).neg();
      NDArray loss = rowLoss.sum();
      gc.backward(loss);
      Map<String, Double> byCategory = new TreeMap<>();
      if (categories != null) {
        float[] per = rowLoss.toFloatArray();
        Map<String, double[]> acc = new TreeMap<>();
        for (int r = 0; r < rows; r++) {
          add(acc, categories[r], per[r] * rows); // on the batch's scale
        }
        acc.forEach((c, a) -> byCategory.put(c, a[0] / a[1]));
      }
      return new Micro(loss.getFloat(), byCategory);
    }
  }

  private LladaNetwork fromInit(LladaConfig config) {
    try (Checkpoint checkpoint = Checkpoint.open(recipe.init())) {
      return LladaNetwork.load(config, checkpoint, Device.cpu());
    }
  }
}

package dev.llada.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFamily;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.vision.ImageInputException;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.PreprocessorConfig;
import dev.llada.core.vision.VisionConfig;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionModelConfig;
import dev.llada.core.vision.VisionModelFiles;
import dev.llada.core.vision.VisionTower;
import dev.llada.core.weights.ModelDirectory;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generations with images on a LLaDA-V model in the worker (issue #20, item 5): the model is the
 * shipped tiny Instruct with a random 32-pixel tower in LLaDA-V's layout; each job with images runs
 * in a batch of its own and answers exactly what the model alone answers for it, beside text-only
 * jobs of the same resident model in their shared batch.
 */
class VisionJobsTest {

  private static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");
  private static final VisionConfig TOWER = new VisionConfig(32, 64, 3, 2, 8, 32, 1e-6, -2);

  @TempDir static Path temp;

  private static Path dir;
  private static LocalWorkerPool pool;
  private static ModelRef vision;
  private static ModelRef text;

  @BeforeAll
  static void start() throws Exception {
    dir = temp.resolve("tiny-v");
    LladaConfig c = LladaConfig.read(INSTRUCT);
    try (LladaNetwork network = LladaNetwork.load(INSTRUCT, Device.cpu(), false);
        NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      VisionTower tower = VisionTower.initialize(TOWER, c.dModel(), true, m, 11);
      VisionModelFiles.write(
          dir,
          new VisionModelConfig(
              c.withFamily(ModelFamily.LLAVA_LLADA), TOWER, true, "test/random-siglip"),
          network,
          tower,
          PreprocessorConfig.siglip(32));
    }
    for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
      Files.copy(INSTRUCT.resolve(f), dir.resolve(f));
    }
    pool = new LocalWorkerPool(Thread::new, "cpu", 1L << 30, 4);
    vision = new ModelRef("tiny-v", dir, "sha256:tiny-v-random-tower");
    text =
        new ModelRef("llada-tiny-instruct", INSTRUCT, ModelDirectory.describe(INSTRUCT).digest());
  }

  @AfterAll
  static void stop() {
    pool.close();
  }

  private static SamplingConfig greedy(int steps, int genLength, int block) {
    return new SamplingConfig(
        steps, genLength, block, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false);
  }

  private static String chat(String user) {
    return ChatTemplate.render(List.of(new ChatTemplate.Message("user", user)));
  }

  private static BufferedImage image(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    BufferedImage image = new BufferedImage(40, 28, BufferedImage.TYPE_INT_RGB); // not square
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    return image;
  }

  private static GenerationJob job(
      ModelRef model, String prompt, List<BufferedImage> images, SamplingConfig config) {
    if (images.isEmpty()) {
      return new GenerationJob(
          model, pool.encode(model, prompt), config, 1, null, null, null, "", 1);
    }
    ImagePrompt p = pool.encode(model, prompt, images.size());
    List<float[]> pixels = images.stream().map(i -> pool.pixels(model, i)).toList();
    return new GenerationJob(
        model, p.ids(), config, 1, null, null, null, "", 1, new GenerationImages(p, pixels));
  }

  /** What the model alone answers (the CLI's path: VisionModel.prepare, the reference sampler). */
  private static int[] alone(String prompt, List<BufferedImage> images, SamplingConfig config)
      throws Exception {
    return alone(prompt, images, config, null);
  }

  private static int[] alone(
      String prompt, List<BufferedImage> images, SamplingConfig config, Acceleration fast)
      throws Exception {
    return Executors.newSingleThreadExecutor()
        .submit(
            () -> {
              DjlMaskPredictor.inferenceOnThisThread();
              try (VisionModel model = VisionModel.load(dir, "cpu");
                  LladaTokenizer tokenizer = LladaTokenizer.load(dir)) {
                SpecialTokens special = SpecialTokens.of(model.predictor().config(), tokenizer);
                ImagePrompt p =
                    ImagePrompt.of(
                        tokenizer, prompt, images.size(), model.tokensPerImage(), special.eosId());
                try (VisionModel.Prepared prepared =
                    model.prepare(List.of(p), List.of(images), new int[] {0})) {
                  Sampler sampler =
                      fast == null
                          ? new ReferenceSampler(prepared.predictor(), special)
                          : new FastSampler(prepared.predictor(), special, fast);
                  Generation g =
                      sampler.generate(
                          new int[][] {p.ids()}, null, config, new SplittableRandom(1), e -> {});
                  int[] out = g.completion(0);
                  return Arrays.copyOf(out, Generation.firstStop(out, special));
                }
              }
            })
        .get(120, TimeUnit.SECONDS);
  }

  /** Whether the worker runs nothing any more (it publishes that after the step that ended it). */
  private static boolean drained() throws InterruptedException {
    for (int i = 0; i < 200 && !pool.load().running().isEmpty(); i++) {
      Thread.sleep(10);
    }
    return pool.load().running().isEmpty();
  }

  @Test
  void jobsWithImagesRunBesideTextJobsAndEachAnswersAsTheModelAlone() throws Exception {
    assertEquals(TOWER.patches() + 1, pool.tokensPerImage(vision), "16 patches and the newline");
    assertEquals(0, pool.tokensPerImage(text));
    SamplingConfig config = greedy(8, 8, 4);
    String one = chat("<image>\nwhat colour?");
    String two = chat("<image>\n<image>\nsame?");
    List<BufferedImage> a = List.of(image(1));
    List<BufferedImage> ab = List.of(image(2), image(3));
    List<CompletableFuture<GenerationResult>> running = new ArrayList<>();
    running.add(pool.generate(job(vision, one, a, config)));
    running.add(pool.generate(job(vision, two, ab, config)));
    running.add(pool.generate(job(vision, chat("sort 5132:"), List.of(), config)));
    running.add(pool.generate(job(text, chat("sort 5132:"), List.of(), config)));
    running.add(pool.generate(job(vision, one, List.of(image(4)), config)));
    List<GenerationResult> results = new ArrayList<>();
    for (CompletableFuture<GenerationResult> f : running) {
      results.add(f.get(120, TimeUnit.SECONDS));
    }
    assertArrayEquals(alone(one, a, config), results.get(0).completionIds(), "one image");
    assertArrayEquals(alone(two, ab, config), results.get(1).completionIds(), "two images");
    assertArrayEquals(
        alone(chat("sort 5132:"), List.of(), config),
        results.get(2).completionIds(),
        "a text-only prompt on the vision model: its language model alone");
    assertArrayEquals(
        alone(one, List.of(image(4)), config), results.get(4).completionIds(), "another image");
    for (GenerationResult r : results) {
      assertEquals(8, r.steps());
    }
    // the image runs are the prompt's positions: billed as prompt tokens by the platform
    assertEquals(
        pool.encode(vision, chat("what colour?")).length + 17 + 1,
        pool.encode(vision, one, 1).ids().length,
        "the image's 17 positions and the newline after it");
    assertTrue(drained(), "every batch with images was freed");
  }

  @Test
  void theFastSamplerAndItsCachesRunOnTheSplicedView() throws Exception {
    SamplingConfig config = greedy(16, 16, 4);
    String one = chat("<image>\nwhat shape?");
    List<BufferedImage> images = List.of(image(7));
    GenerationJob plain = job(vision, one, images, config);
    for (Acceleration.Cache cache : Acceleration.Cache.values()) {
      Acceleration a =
          new Acceleration(
              ParallelDecoding.threshold(0.9), cache, true, cache != Acceleration.Cache.NONE);
      GenerationJob fast =
          new GenerationJob(
              vision, plain.promptIds(), config, 1, null, null, a, "", 1, plain.images());
      GenerationResult r = pool.generate(fast).get(120, TimeUnit.SECONDS);
      assertArrayEquals(alone(one, images, config, a), r.completionIds(), cache.toString());
    }
  }

  @Test
  void aCancelledJobWithImagesLeavesAndFreesItsBatch() throws Exception {
    java.util.concurrent.atomic.AtomicInteger steps =
        new java.util.concurrent.atomic.AtomicInteger();
    GenerationJob base = job(vision, chat("<image>\nx"), List.of(image(5)), greedy(32, 32, 32));
    GenerationJob cancelled =
        new GenerationJob(
            vision,
            base.promptIds(),
            base.config(),
            1,
            e -> steps.incrementAndGet(),
            () -> steps.get() >= 2,
            null,
            "",
            1,
            base.images());
    ExecutionException e =
        assertThrows(
            ExecutionException.class, () -> pool.generate(cancelled).get(120, TimeUnit.SECONDS));
    assertInstanceOf(GenerationCancelledException.class, e.getCause());
    assertEquals(2, ((GenerationCancelledException) e.getCause()).stepsRun());
    assertTrue(drained(), "its batch was freed");
  }

  @Test
  void imagesAreRefusedWhereTheyCannotGo() throws Exception {
    assertThrows(IllegalArgumentException.class, () -> pool.encode(text, chat("<image>\nx"), 1));
    assertThrows(IllegalArgumentException.class, () -> pool.pixels(text, image(1)));
    ImageInputException mismatch =
        assertThrows(ImageInputException.class, () -> pool.encode(vision, chat("no image"), 1));
    assertEquals("image_count_mismatch", mismatch.code());
    GenerationJob ok = job(vision, chat("<image>\nx"), List.of(image(1)), greedy(4, 4, 4));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new GenerationJob(
                vision,
                ok.promptIds(),
                new SamplingConfig(4, 4, 4, 0.0, 1.5, Remasking.LOW_CONFIDENCE, false, false),
                1,
                null,
                null,
                null,
                "",
                1,
                ok.images()),
        "classifier-free guidance with images is refused");
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new GenerationJob(
                vision,
                pool.encode(vision, chat("x")),
                ok.config(),
                1,
                null,
                null,
                null,
                "",
                1,
                ok.images()),
        "the ids must be the image prompt's");
    assertThrows(
        IllegalArgumentException.class,
        () -> new GenerationImages(ok.images().prompt(), List.of()),
        "one pixel array per image run");
    // a job with images on a model that reads none fails alone; the worker goes on
    ImagePrompt onText =
        new ImagePrompt(
            pool.encode(text, chat("x")), new int[] {0}, 1); // a run the text model cannot fill
    ExecutionException refused =
        assertThrows(
            ExecutionException.class,
            () ->
                pool.generate(
                        new GenerationJob(
                            text,
                            onText.ids(),
                            greedy(4, 4, 4),
                            1,
                            null,
                            null,
                            null,
                            "",
                            1,
                            new GenerationImages(onText, List.of(new float[3 * 32 * 32]))))
                    .get(120, TimeUnit.SECONDS));
    assertInstanceOf(IllegalArgumentException.class, refused.getCause());
    assertTrue(refused.getCause().getMessage().contains("reads no images"));
    assertEquals(
        4,
        pool.generate(job(text, chat("sort 21:"), List.of(), greedy(4, 4, 4)))
            .get(120, TimeUnit.SECONDS)
            .steps());
  }
}

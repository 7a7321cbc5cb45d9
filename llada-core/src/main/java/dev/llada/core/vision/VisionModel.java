package dev.llada.core.vision;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.Splice;
import dev.llada.core.weights.Checkpoint;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LLaDA-V model loaded for inference (llada-spec §8): the language model as a {@link
 * DjlMaskPredictor}, the tower, projector and image newline beside it on the same device, and the
 * image preprocessing. {@link #prepare} encodes a batch's images once and returns the predictor
 * view that splices their rows in at every forward, so the samplers and the likelihood run on it
 * unchanged (LLaDA-V's {@code generate_with_embeds}).
 */
public final class VisionModel implements AutoCloseable {

  private final VisionModelConfig config;
  private final DjlMaskPredictor predictor;
  private final VisionTower tower;
  private final PreprocessorConfig preprocessor;
  private final NDManager manager;

  private VisionModel(
      VisionModelConfig config,
      DjlMaskPredictor predictor,
      VisionTower tower,
      PreprocessorConfig preprocessor,
      NDManager manager) {
    this.config = config;
    this.predictor = predictor;
    this.tower = tower;
    this.preprocessor = preprocessor;
    this.manager = manager;
  }

  /**
   * Loads {@code dir} onto {@code device}: config.json ({@code llava_llada}), the safetensors
   * (single or sharded; the language model's, the tower's, the projector's and the newline's
   * tensors and no others, every shape checked), and {@code preprocessor_config.json} — or, when
   * the directory has none, the SigLIP processor LLaDA-V hard-codes (bicubic, mean and std 0.5) at
   * the tower's image size.
   */
  public static VisionModel load(Path dir, String device) {
    VisionModelConfig config = VisionModelConfig.read(dir);
    PreprocessorConfig pre = preprocessor(dir, config);
    int d = config.language().dModel();
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      VisionCheckpoint.validate(checkpoint, config);
      DjlMaskPredictor predictor = DjlMaskPredictor.load(config.language(), checkpoint, device);
      Device target = DjlMaskPredictor.device(device);
      NDManager manager = Engine.getEngine("PyTorch").newBaseManager(target);
      try {
        VisionTower tower =
            VisionTower.load(config.vision(), checkpoint, d, config.imageNewline(), manager);
        return new VisionModel(config, predictor, tower, pre, manager);
      } catch (RuntimeException e) {
        manager.close();
        predictor.close();
        throw e;
      }
    }
  }

  /**
   * The image preprocessing of the model in {@code dir}: its {@code preprocessor_config.json}, or,
   * when it has none, the SigLIP processor LLaDA-V hard-codes at the tower's image size; refused
   * when it resizes to another size than the tower takes. Needs no weights: a server can preprocess
   * a request's images before its model is loaded.
   */
  public static PreprocessorConfig preprocessor(Path dir, VisionModelConfig config) {
    PreprocessorConfig pre =
        Files.isRegularFile(dir.resolve("preprocessor_config.json"))
            ? PreprocessorConfig.read(dir)
            : PreprocessorConfig.bicubicSiglip(config.vision().imageSize());
    if (pre.height() != config.vision().imageSize() || pre.width() != config.vision().imageSize()) {
      throw new ModelFormatException(
          dir
              + ": preprocessor_config.json resizes to "
              + pre.width()
              + " × "
              + pre.height()
              + " but the tower takes "
              + config.vision().imageSize()
              + " × "
              + config.vision().imageSize());
    }
    return pre;
  }

  public VisionModelConfig config() {
    return config;
  }

  /** The language model alone (text-only prompts). */
  public DjlMaskPredictor predictor() {
    return predictor;
  }

  public VisionTower tower() {
    return tower;
  }

  public PreprocessorConfig preprocessor() {
    return preprocessor;
  }

  /** Positions one image takes in a prompt. */
  public int tokensPerImage() {
    return tower.tokensPerImage();
  }

  /** The tower's input of one image: padded to a square (LLaVA's "pad"), resized, normalised. */
  public float[] pixels(BufferedImage image) {
    return pixels(image, preprocessor);
  }

  /**
   * As {@link #pixels(BufferedImage)} with {@code preprocessor} ({@link #preprocessor(Path,
   * VisionModelConfig)}): float32 (3, height, width).
   */
  public static float[] pixels(BufferedImage image, PreprocessorConfig preprocessor) {
    return ImagePreprocessor.pixels(
        ImagePreprocessor.expandToSquare(image, preprocessor.mean()), preprocessor);
  }

  /** A batch's images encoded, and the predictor that splices them in. */
  public static final class Prepared implements AutoCloseable {
    private final DjlMaskPredictor predictor;
    private final NDManager features;

    Prepared(DjlMaskPredictor predictor, NDManager features) {
      this.predictor = predictor;
      this.features = features;
    }

    /** The predictor whose every forward has the images' rows at their positions. */
    public DjlMaskPredictor predictor() {
      return predictor;
    }

    /** Frees the image rows (the model stays loaded). */
    @Override
    public void close() {
      features.close();
    }
  }

  /**
   * Encodes the images of a batch and returns the spliced predictor: row r's images go, in order,
   * at the image runs of {@code prompts[r]} shifted by {@code offsets[r]} (its left padding). Call
   * on the inference thread (autograd off).
   */
  public Prepared prepare(
      List<ImagePrompt> prompts, List<List<BufferedImage>> images, int[] offsets) {
    List<List<float[]>> pixels = new ArrayList<>();
    for (List<BufferedImage> rowImages : images) {
      List<float[]> row = new ArrayList<>();
      for (BufferedImage image : rowImages) {
        row.add(pixels(image));
      }
      pixels.add(row);
    }
    return preparePixels(prompts, pixels, offsets);
  }

  /**
   * As {@link #prepare}, with each image already preprocessed ({@link #pixels(BufferedImage)}: 3 ×
   * image size × image size floats), as a server does on the request's thread.
   */
  public Prepared preparePixels(
      List<ImagePrompt> prompts, List<List<float[]>> images, int[] offsets) {
    if (prompts.size() != images.size() || prompts.size() != offsets.length) {
      throw new IllegalArgumentException("one prompt, one image list and one offset per row");
    }
    int size = config.vision().imageSize();
    int per = tower.tokensPerImage();
    List<float[]> pixels = new ArrayList<>();
    List<Integer> rowOf = new ArrayList<>();
    List<Integer> positionOf = new ArrayList<>();
    for (int r = 0; r < prompts.size(); r++) {
      ImagePrompt p = prompts.get(r);
      List<float[]> rowImages = images.get(r);
      if (p.imageStarts().length != rowImages.size()) {
        throw new ImageInputException(
            ImageInputException.Reason.IMAGE_COUNT_MISMATCH,
            "row "
                + r
                + " has "
                + p.imageStarts().length
                + " <image> placeholders but "
                + rowImages.size()
                + " images");
      }
      if (p.tokensPerImage() != per) {
        throw new IllegalArgumentException(
            "the prompt reserves " + p.tokensPerImage() + " positions per image, the model " + per);
      }
      for (float[] image : rowImages) {
        if (image.length != 3 * size * size) {
          throw new IllegalArgumentException(
              "an image's pixels are 3 × " + size + " × " + size + " floats, got " + image.length);
        }
        pixels.add(image);
      }
      for (int position : p.imagePositions()) {
        rowOf.add(r);
        positionOf.add(offsets[r] + position);
      }
    }
    NDManager m = manager.newSubManager();
    try {
      NDArray rows;
      if (pixels.isEmpty()) {
        rows = m.zeros(new Shape(0, config.language().dModel()));
      } else {
        float[] all = new float[pixels.size() * 3 * size * size];
        for (int i = 0; i < pixels.size(); i++) {
          System.arraycopy(pixels.get(i), 0, all, i * pixels.get(i).length, pixels.get(i).length);
        }
        // the tower's activations live in a scratch manager, closed at once: only the rows stay
        try (NDManager scratch = manager.newSubManager()) {
          rows = tower.imageTokens(scratch.create(all, new Shape(pixels.size(), 3, size, size)));
          rows.attach(m);
        }
      }
      Splice splice =
          new Splice(
              rowOf.stream().mapToInt(Integer::intValue).toArray(),
              positionOf.stream().mapToInt(Integer::intValue).toArray(),
              rows);
      return new Prepared(predictor.withSplice(splice), m);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  @Override
  public void close() {
    manager.close();
    predictor.close();
  }
}

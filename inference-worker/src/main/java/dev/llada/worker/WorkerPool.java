package dev.llada.worker;

import dev.llada.core.vision.ImagePrompt;
import java.awt.image.BufferedImage;
import java.util.concurrent.CompletableFuture;

/**
 * Port: where the platform sends model work. The in-process {@link LocalWorkerPool} fills it today;
 * remote GPU workers fill it later. Tokenization runs on the caller's thread (the platform needs
 * the prompt length to price a request before it dispatches it); model calls run on the pool's own
 * threads.
 */
public interface WorkerPool extends AutoCloseable {

  /** The prompt's token ids; special-token strings in {@code text} become their ids. */
  int[] encode(ModelRef model, String text);

  /** {@code ids} as text, special tokens skipped. */
  String decode(ModelRef model, int[] ids);

  /** The limits of {@code model}, read from its config. */
  ModelLimits limits(ModelRef model);

  /**
   * Positions one image takes in a prompt of {@code model} (its tower's patches and the image
   * newline); 0 when the model reads no images (it is not a LLaDA-V model).
   */
  default int tokensPerImage(ModelRef model) {
    return 0;
  }

  /**
   * The prompt's ids with a run of {@link #tokensPerImage} positions in place of each {@code
   * <image>} of {@code text} ({@link ImagePrompt#of}).
   *
   * @throws dev.llada.core.vision.ImageInputException when {@code text} does not hold {@code
   *     images} placeholders
   * @throws IllegalArgumentException when the model reads no images
   */
  default ImagePrompt encode(ModelRef model, String text, int images) {
    throw new IllegalArgumentException("the model '" + model.name() + "' reads no images");
  }

  /**
   * {@code image} as the tower of {@code model} takes it (padded to a square, resized, normalised:
   * {@link dev.llada.core.vision.VisionModel#pixels(BufferedImage)}), computed on the caller's
   * thread without the model's weights.
   *
   * @throws IllegalArgumentException when the model reads no images
   */
  default float[] pixels(ModelRef model, BufferedImage image) {
    throw new IllegalArgumentException("the model '" + model.name() + "' reads no images");
  }

  /**
   * Throws {@link WorkerBusyException} when a generation of {@code tenant} would be refused now
   * (its queue or the worker's is full): checked before anything is reserved, so a full queue is
   * refused at once, without touching the database. {@link #generate} checks again.
   */
  void checkRoom(String tenant);

  /**
   * Throws {@link ModelDoesNotFitException} when {@code model} cannot be loaded on this worker even
   * alone (checked before anything is reserved); {@link #generate} checks again.
   */
  default void checkFits(ModelRef model) {}

  /**
   * Loads {@code model} ahead of its first request ({@code LLADA_PRELOAD}); the future completes
   * once it is resident, or fails with why it could not load.
   */
  default CompletableFuture<Void> preload(ModelRef model) {
    return CompletableFuture.completedFuture(null);
  }

  /** Queues a generation; the future fails with {@link GenerationCancelledException} if stopped. */
  CompletableFuture<GenerationResult> generate(GenerationJob job);

  /** Queues a likelihood estimate. */
  CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job);

  /** The worker's load now (waiting and running requests, resident weights). */
  WorkerLoad load();

  /**
   * Graceful drain (on shutdown): from now on new work fails with {@link WorkerStoppingException};
   * waits up to {@code grace} for the work taken to finish. True when it all finished; {@link
   * #close} then fails whatever is left.
   */
  boolean drain(java.time.Duration grace);

  @Override
  void close();
}

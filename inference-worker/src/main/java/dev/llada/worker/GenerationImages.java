package dev.llada.worker;

import dev.llada.core.vision.ImagePrompt;
import java.util.List;
import java.util.Objects;

/**
 * The images of a generation for a LLaDA-V model: where each one's rows go in the prompt, and its
 * pixels, already preprocessed for the model's tower on the request's thread ({@link
 * WorkerPool#pixels}), so that no full-size image waits in a queue.
 *
 * @param prompt the prompt's ids with a run of {@code tokensPerImage} positions per image ({@link
 *     WorkerPool#encode(ModelRef, String, int)})
 * @param pixels one float32 (3, size, size) array per image, in the order of the runs
 */
public record GenerationImages(ImagePrompt prompt, List<float[]> pixels) {

  public GenerationImages {
    Objects.requireNonNull(prompt, "prompt");
    pixels = List.copyOf(pixels);
    if (pixels.isEmpty()) {
      throw new IllegalArgumentException("a generation with images has at least one");
    }
    if (prompt.imageStarts().length != pixels.size()) {
      throw new IllegalArgumentException(
          "the prompt has "
              + prompt.imageStarts().length
              + " image runs but "
              + pixels.size()
              + " images were given");
    }
  }

  /** How many images. */
  public int count() {
    return pixels.size();
  }
}

package dev.llada.core.vision;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A prompt with images, as LLaDA-V builds it (llada-spec §8; {@code tokenizer_image_token} in
 * mm_utils.py): the text is split at each {@code <image>}, the pieces are tokenised on their own,
 * and image k's feature rows take the place of the k-th placeholder ({@code IMAGE_TOKEN_INDEX} −200
 * in the reference). Here the canvas keeps a run of {@code tokensPerImage} positions per image,
 * filled with {@code fillId} (any id but the mask's: the splice replaces those embeddings, and the
 * sampler must not take them for masks).
 *
 * @param ids the prompt's token ids, image runs included
 * @param imageStarts where each image's run begins, in order
 * @param tokensPerImage positions per image
 */
public record ImagePrompt(int[] ids, int[] imageStarts, int tokensPerImage) {

  /** The placeholder text, as in LLaDA-V's prompts ({@code DEFAULT_IMAGE_TOKEN}). */
  public static final String PLACEHOLDER = "<image>";

  /** Positions of every image row, in order ({@code images × tokensPerImage}). */
  public int[] imagePositions() {
    int[] out = new int[imageStarts.length * tokensPerImage];
    for (int k = 0; k < imageStarts.length; k++) {
      for (int i = 0; i < tokensPerImage; i++) {
        out[k * tokensPerImage + i] = imageStarts[k] + i;
      }
    }
    return out;
  }

  /** How many {@code <image>} placeholders {@code text} holds. */
  public static int placeholders(String text) {
    int n = 0;
    for (int at = text.indexOf(PLACEHOLDER); at >= 0; at = text.indexOf(PLACEHOLDER, at + 1)) {
      n++;
    }
    return n;
  }

  /**
   * {@code text} (already templated) with {@code images} placeholders.
   *
   * @throws ImageInputException (image_count_mismatch) when the text has another number of
   *     placeholders
   */
  public static ImagePrompt of(
      LladaTokenizer tokenizer, String text, int images, int tokensPerImage, int fillId) {
    int found = placeholders(text);
    if (found != images) {
      throw new ImageInputException(
          ImageInputException.Reason.IMAGE_COUNT_MISMATCH,
          "the prompt has "
              + found
              + " <image> placeholder"
              + (found == 1 ? "" : "s")
              + " but "
              + images
              + " image"
              + (images == 1 ? " was" : "s were")
              + " given; put one <image> where each image goes");
    }
    List<Integer> ids = new ArrayList<>();
    int[] starts = new int[images];
    int from = 0;
    for (int k = 0; k <= images; k++) {
      int at = k < images ? text.indexOf(PLACEHOLDER, from) : text.length();
      for (int id : tokenizer.encode(text.substring(from, at))) {
        ids.add(id);
      }
      if (k < images) {
        starts[k] = ids.size();
        for (int i = 0; i < tokensPerImage; i++) {
          ids.add(fillId);
        }
        from = at + PLACEHOLDER.length();
      }
    }
    return new ImagePrompt(
        ids.stream().mapToInt(Integer::intValue).toArray(), starts, tokensPerImage);
  }

  /**
   * One user turn of LLaDA-V's single-image form, {@code "<image>\n" + question}, in the chat
   * template (no system turn: the tiny models are trained without one).
   */
  public static ImagePrompt question(
      LladaTokenizer tokenizer, String question, int tokensPerImage, int fillId) {
    String text =
        ChatTemplate.render(
            List.of(new ChatTemplate.Message("user", PLACEHOLDER + "\n" + question)));
    return of(tokenizer, text, 1, tokensPerImage, fillId);
  }
}

package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.tokenizer.ByteLevelTokenizerWriter;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tokenizer_image_token}: text pieces tokenised alone, a run of positions per image. */
class ImagePromptTest {

  @TempDir Path temp;

  @Test
  void eachPlaceholderBecomesARunOfItsImagesPositionsBetweenTheTextPieces() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.of());
    try (LladaTokenizer tokenizer = LladaTokenizer.load(temp)) {
      int fill = tokenizer.eosId();
      ImagePrompt p = ImagePrompt.of(tokenizer, "ab<image>c<image><image>", 3, 4, fill);
      int[] a = tokenizer.encode("ab");
      int[] c = tokenizer.encode("c");
      assertEquals(a.length + 4 + c.length + 8, p.ids().length);
      assertArrayEquals(
          new int[] {a.length, a.length + 4 + c.length, a.length + 8 + c.length}, p.imageStarts());
      assertArrayEquals(
          new int[] {2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14},
          p.imagePositions(),
          "two bytes, an image, one byte, two images");
      for (int position : p.imagePositions()) {
        assertEquals(fill, p.ids()[position]);
      }
      assertEquals(c[0], p.ids()[6]);
      // LLaDA-V's single-image question: "<image>\n" + question in the chat template
      ImagePrompt q = ImagePrompt.question(tokenizer, "what colour is the circle?", 5, fill);
      String text =
          ChatTemplate.render(
                  List.of(new ChatTemplate.Message("user", "<image>\nwhat colour is the circle?")))
              .replace("<image>", "");
      int[] before = tokenizer.encode(text.substring(0, text.indexOf("\n\n") + 2));
      assertEquals(before.length, q.imageStarts()[0], "the image right after the user header");
      assertEquals(tokenizer.encode(text).length + 5, q.ids().length);
    }
  }

  @Test
  void anotherNumberOfImagesThanPlaceholdersIsRefusedSayingBoth() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.of());
    try (LladaTokenizer tokenizer = LladaTokenizer.load(temp)) {
      ImageInputException e =
          assertThrows(
              ImageInputException.class,
              () -> ImagePrompt.of(tokenizer, "<image> and <image>", 1, 3, 0));
      assertEquals("image_count_mismatch", e.code());
      assertTrue(
          e.getMessage().contains("2 <image> placeholders but 1 image was given"), e.getMessage());
      e =
          assertThrows(
              ImageInputException.class, () -> ImagePrompt.of(tokenizer, "no image", 2, 3, 0));
      assertTrue(
          e.getMessage().contains("0 <image> placeholders but 2 images were given"),
          e.getMessage());
      assertEquals(0, ImagePrompt.placeholders("<imag> <IMAGE>"));
      assertEquals(2, ImagePrompt.placeholders("<image><image>"));
    }
  }
}

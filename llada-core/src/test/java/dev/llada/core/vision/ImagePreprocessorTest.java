package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.llada.core.config.ModelFormatException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resize (PIL's resampling), rescale and normalisation from a preprocessor_config.json. */
class ImagePreprocessorTest {

  @TempDir Path temp;

  private static final String SIGLIP =
      """
      {"do_normalize": true, "do_rescale": true, "do_resize": true,
       "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
       "image_processor_type": "SiglipImageProcessor", "processor_class": "SiglipProcessor",
       "resample": 2, "rescale_factor": 0.00392156862745098, "size": {"height": 2, "width": 2}}
      """;

  @Test
  void aSiglipConfigIsReadAndAppliedChannelFirst() throws Exception {
    Files.writeString(temp.resolve("preprocessor_config.json"), SIGLIP);
    PreprocessorConfig c = PreprocessorConfig.read(temp);
    assertEquals(2, c.height());
    assertEquals(PreprocessorConfig.BILINEAR, c.resample());
    BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xFF0000);
    image.setRGB(1, 0, 0x00FF00);
    image.setRGB(0, 1, 0x0000FF);
    image.setRGB(1, 1, 0x808080);
    float[] x = ImagePreprocessor.pixels(image, c);
    // (v/255 − 0.5)/0.5: 255 → 1, 0 → −1, 128 → 0.0039; planes R, G, B, rows then columns
    float g = (float) ((128 / 255.0 - 0.5) / 0.5);
    assertArrayEquals(
        new float[] {1, -1, -1, g, -1, 1, -1, g, -1, -1, 1, g}, x, 1e-6f, "CHW, normalised");
  }

  @Test
  void resamplingIsPils() {
    // 4 → 2 bilinear along a row: the filter widened ×2, weights (3, 3, 1)/7 and (1, 3, 3)/7
    int[] row = {0, 100, 200, 250};
    assertArrayEquals(
        new int[] {71, 207},
        ImagePreprocessor.resample(row, 4, 1, 2, true, PreprocessorConfig.BILINEAR));
    // the same along a column
    assertArrayEquals(
        new int[] {71, 207},
        ImagePreprocessor.resample(row, 1, 4, 2, false, PreprocessorConfig.BILINEAR));
    // a constant stays constant, shrinking or growing, bilinear or bicubic
    int[] flat = new int[7 * 5];
    java.util.Arrays.fill(flat, 93);
    for (int filter : new int[] {PreprocessorConfig.BILINEAR, PreprocessorConfig.BICUBIC}) {
      for (int out : new int[] {3, 7, 16}) {
        int[] r = ImagePreprocessor.resample(flat, 7, 5, out, true, filter);
        for (int v : r) {
          assertEquals(93, v);
        }
      }
    }
    // bicubic overshoot is clipped to 0..255 at a hard edge
    int[] edge = {0, 0, 255, 255};
    int[] up = ImagePreprocessor.resample(edge, 4, 1, 9, true, PreprocessorConfig.BICUBIC);
    for (int v : up) {
      assertTrue(v >= 0 && v <= 255);
    }
    assertEquals(0, up[0]);
    assertEquals(255, up[8]);
  }

  @Test
  void aWholeImageIsResizedToTheConfigsSize() {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 48; y++) {
      for (int x = 0; x < 64; x++) {
        image.setRGB(x, y, x < 32 ? 0xFF0000 : 0x0000FF);
      }
    }
    PreprocessorConfig c =
        new PreprocessorConfig(
            16,
            16,
            PreprocessorConfig.BICUBIC,
            true,
            1 / 255.0,
            new double[3],
            new double[] {1, 1, 1});
    float[] x = ImagePreprocessor.pixels(image, c);
    assertEquals(3 * 16 * 16, x.length);
    assertEquals(1.0, x[0], 1e-6, "red at the top left");
    assertEquals(0.0, x[2 * 256], 1e-6, "no blue at the top left");
    assertEquals(1.0, x[2 * 256 + 15], 1e-6, "blue at the top right");
  }

  @Test
  void unsupportedConfigsAndSizesAreRefused() {
    String bicubicCrop =
        SIGLIP.replace("{\"height\": 2, \"width\": 2}", "{\"shortest_edge\": 384}");
    ModelFormatException crop =
        assertThrows(
            ModelFormatException.class,
            () ->
                PreprocessorConfig.fromJson(JsonParser.parseString(bicubicCrop).getAsJsonObject()));
    assertTrue(crop.getMessage().contains("size"), crop.getMessage());
    String lanczos = SIGLIP.replace("\"resample\": 2", "\"resample\": 1");
    ModelFormatException filter =
        assertThrows(
            ModelFormatException.class,
            () -> PreprocessorConfig.fromJson(JsonParser.parseString(lanczos).getAsJsonObject()));
    assertTrue(filter.getMessage().contains("resample"), filter.getMessage());
    assertThrows(ModelFormatException.class, () -> PreprocessorConfig.read(temp), "missing file");
    PreprocessorConfig fixed =
        new PreprocessorConfig(
            8,
            8,
            PreprocessorConfig.BILINEAR,
            false,
            1 / 255.0,
            new double[3],
            new double[] {1, 1, 1});
    ImageInputException wrong =
        assertThrows(
            ImageInputException.class,
            () ->
                ImagePreprocessor.pixels(
                    new BufferedImage(9, 8, BufferedImage.TYPE_INT_RGB), fixed));
    assertTrue(wrong.getMessage().contains("9 × 8"), wrong.getMessage());
  }
}

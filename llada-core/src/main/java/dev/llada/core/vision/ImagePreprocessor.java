package dev.llada.core.vision;

import dev.llada.core.vision.ImageInputException.Reason;
import java.awt.image.BufferedImage;

/**
 * An RGB image as the vision tower's input: resized as PIL's {@code Image.resize} does (separable
 * resampling, the filter widened by the scale when shrinking so it anti-aliases, 8-bit rounding
 * after each pass: the Hugging Face image processors resize through PIL), then rescaled and
 * normalised per channel. Output: float32 (3, height, width), channels R, G, B.
 */
public final class ImagePreprocessor {

  private ImagePreprocessor() {}

  /**
   * LLaVA's {@code "pad"} aspect handling ({@code expand2square}): a non-square image centred on a
   * square canvas of the mean colour ({@code int(m · 255)} per channel: (127, 127, 127) for
   * SigLIP), offset {@code (side − w) / 2}; a square image is returned as it is.
   */
  public static BufferedImage expandToSquare(BufferedImage image, double[] mean) {
    int w = image.getWidth();
    int h = image.getHeight();
    if (w == h) {
      return image;
    }
    int side = Math.max(w, h);
    BufferedImage out = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    int fill = ((int) (mean[0] * 255) << 16) | ((int) (mean[1] * 255) << 8) | (int) (mean[2] * 255);
    int[] row = new int[side];
    java.util.Arrays.fill(row, fill);
    for (int y = 0; y < side; y++) {
      out.setRGB(0, y, side, 1, row, 0, side);
    }
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    out.setRGB((side - w) / 2, (side - h) / 2, w, h, rgb, 0, w);
    return out;
  }

  /** The tower's input for {@code image} under {@code config}. */
  public static float[] pixels(BufferedImage image, PreprocessorConfig config) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
    int[][] channels = new int[3][w * h];
    for (int i = 0; i < rgb.length; i++) {
      channels[0][i] = (rgb[i] >> 16) & 0xFF;
      channels[1][i] = (rgb[i] >> 8) & 0xFF;
      channels[2][i] = rgb[i] & 0xFF;
    }
    int ow = config.width();
    int oh = config.height();
    if (!config.doResize() && (w != ow || h != oh)) {
      throw new ImageInputException(
          Reason.UNSUPPORTED_IMAGE,
          "the model takes "
              + ow
              + " × "
              + oh
              + " images without resizing; this one is "
              + w
              + " × "
              + h);
    }
    float[] out = new float[3 * oh * ow];
    for (int c = 0; c < 3; c++) {
      int[] plane = channels[c];
      if (w != ow) {
        plane = resample(plane, w, h, ow, true, config.resample());
      }
      if (h != oh) {
        plane = resample(plane, ow, h, oh, false, config.resample());
      }
      for (int i = 0; i < plane.length; i++) {
        out[c * oh * ow + i] =
            (float) ((plane[i] * config.rescale() - config.mean()[c]) / config.std()[c]);
      }
    }
    return out;
  }

  /**
   * One resampling pass (PIL's {@code ImagingResampleHorizontal/Vertical}): along rows when {@code
   * horizontal}, else along columns, from {@code in} samples to {@code out}.
   */
  static int[] resample(int[] plane, int w, int h, int out, boolean horizontal, int filter) {
    int in = horizontal ? w : h;
    double support = filter == PreprocessorConfig.BICUBIC ? 2.0 : 1.0;
    double scale = (double) in / out;
    double filterScale = Math.max(scale, 1.0);
    double reach = support * filterScale;
    int[] first = new int[out];
    double[][] weights = new double[out][];
    for (int o = 0; o < out; o++) {
      double center = (o + 0.5) * scale;
      int lo = Math.max((int) (center - reach + 0.5), 0);
      int hi = Math.min((int) (center + reach + 0.5), in);
      double[] k = new double[hi - lo];
      double sum = 0;
      for (int x = lo; x < hi; x++) {
        double t = (x - center + 0.5) / filterScale;
        k[x - lo] = filter == PreprocessorConfig.BICUBIC ? bicubic(t) : bilinear(t);
        sum += k[x - lo];
      }
      for (int i = 0; i < k.length; i++) {
        k[i] = sum != 0 ? k[i] / sum : 0;
      }
      first[o] = lo;
      weights[o] = k;
    }
    int ow = horizontal ? out : w;
    int oh = horizontal ? h : out;
    int[] result = new int[ow * oh];
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int o = horizontal ? x : y;
        double s = 0;
        for (int i = 0; i < weights[o].length; i++) {
          int src = first[o] + i;
          s += weights[o][i] * (horizontal ? plane[y * w + src] : plane[src * w + x]);
        }
        result[y * ow + x] = (int) Math.max(0, Math.min(255, Math.round(s)));
      }
    }
    return result;
  }

  /** PIL's bicubic kernel, a = −0.5. */
  static double bicubic(double x) {
    double a = -0.5;
    x = Math.abs(x);
    if (x < 1) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0;
  }

  static double bilinear(double x) {
    x = Math.abs(x);
    return x < 1 ? 1 - x : 0;
  }
}

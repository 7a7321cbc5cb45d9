package dev.llada.core.vision;

/**
 * What an image may cost before it is decoded: its encoded size, and the pixel count and side its
 * header declares (a decompression bomb is a small file whose header declares billions of pixels).
 *
 * @param maxBytes encoded bytes
 * @param maxPixels width × height declared by the header
 * @param maxSide the longer side declared by the header
 */
public record ImageLimits(long maxBytes, long maxPixels, int maxSide) {

  /** 20 MiB (OpenAI's per-image cap), 32 megapixels, 16,384 pixels a side. */
  public static final ImageLimits DEFAULT = new ImageLimits(20L << 20, 32L << 20, 16384);

  public ImageLimits {
    if (maxBytes < 1 || maxPixels < 1 || maxSide < 1) {
      throw new IllegalArgumentException("image limits must be positive");
    }
  }
}

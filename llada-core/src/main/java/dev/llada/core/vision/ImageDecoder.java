package dev.llada.core.vision;

import com.twelvemonkeys.imageio.metadata.Directory;
import com.twelvemonkeys.imageio.metadata.Entry;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegment;
import com.twelvemonkeys.imageio.metadata.jpeg.JPEGSegmentUtil;
import com.twelvemonkeys.imageio.metadata.tiff.TIFF;
import com.twelvemonkeys.imageio.metadata.tiff.TIFFReader;
import dev.llada.core.vision.ImageInputException.Reason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes a PNG or JPEG into 8-bit RGB, as LLaVA's {@code Image.open(…).convert("RGB")} would: grey
 * and palette images expanded, alpha dropped (the colour values kept), 16-bit samples reduced, CMYK
 * and YCCK JPEGs converted (TwelveMonkeys' reader), and a JPEG's EXIF orientation applied. The byte
 * count and the dimensions in the header are checked against {@link ImageLimits} before a single
 * pixel is decoded.
 */
public final class ImageDecoder {

  private ImageDecoder() {}

  /** The formats accepted, by their leading bytes. */
  enum Format {
    PNG("png"),
    JPEG("jpeg");

    final String imageIoName;

    Format(String imageIoName) {
      this.imageIoName = imageIoName;
    }
  }

  /** Decodes {@code bytes} within {@code limits}. */
  public static BufferedImage decode(byte[] bytes, ImageLimits limits) {
    if (bytes.length == 0) {
      throw new ImageInputException(Reason.NOT_AN_IMAGE, "the image is empty (0 bytes)");
    }
    if (bytes.length > limits.maxBytes()) {
      throw new ImageInputException(
          Reason.IMAGE_TOO_LARGE,
          String.format(
              "the image is %,d bytes, above the limit of %,d", bytes.length, limits.maxBytes()));
    }
    Format format = sniff(bytes);
    BufferedImage decoded;
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      ImageReader reader = reader(format);
      try {
        reader.setInput(in, true, true);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        checkDimensions(width, height, limits);
        decoded = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (ImageInputException e) {
      throw e;
    } catch (IIOException e) {
      String m = String.valueOf(e.getMessage());
      if (m.contains("Unsupported") || m.contains("unsupported")) {
        throw new ImageInputException(
            Reason.UNSUPPORTED_IMAGE,
            "this " + format.imageIoName.toUpperCase() + " cannot be decoded here (" + m + ")",
            e);
      }
      throw corrupt(format, e);
    } catch (IOException | RuntimeException e) {
      throw corrupt(format, e);
    }
    if (decoded == null) {
      throw corrupt(format, new IOException("no image in the file"));
    }
    try {
      BufferedImage rgb = toRgb(decoded);
      return format == Format.JPEG ? orient(rgb, exifOrientation(bytes)) : rgb;
    } catch (ImageInputException e) {
      throw e;
    } catch (RuntimeException e) { // a colour model or EXIF block the conversion cannot read
      throw corrupt(format, e);
    }
  }

  private static ImageInputException corrupt(Format format, Exception e) {
    return new ImageInputException(
        Reason.CORRUPT_IMAGE,
        "the "
            + format.imageIoName.toUpperCase()
            + " image is corrupt or truncated: "
            + e.getMessage(),
        e);
  }

  /** PNG or JPEG by signature; other known formats are named in the refusal. */
  static Format sniff(byte[] b) {
    if (starts(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return Format.PNG;
    }
    if (starts(b, 0xFF, 0xD8, 0xFF)) {
      return Format.JPEG;
    }
    String other =
        starts(b, 'G', 'I', 'F', '8')
            ? "a GIF"
            : starts(b, 'R', 'I', 'F', 'F') && b.length > 11 && b[8] == 'W' && b[9] == 'E'
                ? "a WebP"
                : starts(b, 'B', 'M')
                    ? "a BMP"
                    : starts(b, 'I', 'I', '*') || starts(b, 'M', 'M', 0, '*') ? "a TIFF" : null;
    if (other != null) {
      throw new ImageInputException(
          Reason.UNSUPPORTED_IMAGE, other + " image: only PNG and JPEG are accepted");
    }
    throw new ImageInputException(
        Reason.NOT_AN_IMAGE, "the data is not a PNG or JPEG image (no PNG or JPEG signature)");
  }

  private static boolean starts(byte[] b, int... prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if ((b[i] & 0xFF) != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The format's reader, TwelveMonkeys' for JPEG where registered (CMYK, YCCK, EXIF). */
  private static ImageReader reader(Format format) {
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName);
    ImageReader first = null;
    while (readers.hasNext()) {
      ImageReader r = readers.next();
      if (r.getClass().getName().startsWith("com.twelvemonkeys")) {
        if (first != null) {
          first.dispose();
        }
        return r;
      }
      if (first == null) {
        first = r;
      } else {
        r.dispose();
      }
    }
    if (first == null) {
      throw new IllegalStateException("no ImageIO reader for " + format);
    }
    return first;
  }

  static void checkDimensions(int width, int height, ImageLimits limits) {
    if (width < 1 || height < 1) {
      throw new ImageInputException(
          Reason.CORRUPT_IMAGE, "the image header declares " + width + " × " + height + " pixels");
    }
    long pixels = (long) width * height;
    if (pixels > limits.maxPixels() || Math.max(width, height) > limits.maxSide()) {
      throw new ImageInputException(
          Reason.IMAGE_TOO_LARGE,
          String.format(
              "the image header declares %,d × %,d = %,d pixels; the limits are %,d pixels and"
                  + " %,d a side (it was not decoded)",
              width, height, pixels, limits.maxPixels(), limits.maxSide()));
    }
  }

  /** 8-bit RGB with the alpha channel dropped (colour values kept, as PIL's convert("RGB")). */
  static BufferedImage toRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0; i < argb.length; i++) {
      argb[i] &= 0xFFFFFF;
    }
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(0, 0, w, h, argb, 0, w);
    return rgb;
  }

  /**
   * A JPEG's EXIF orientation (1–8; 1 where it has none). A damaged EXIF block is ignored: the
   * image decodes as stored, as most viewers show it.
   */
  static int exifOrientation(byte[] jpeg) {
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(jpeg))) {
      List<JPEGSegment> exif = JPEGSegmentUtil.readSegments(in, 0xFFE1, "Exif");
      if (exif.isEmpty()) {
        return 1;
      }
      byte[] data = exif.get(0).data().readAllBytes();
      int from = data.length > 0 && data[0] == 0 ? 1 : 0; // "Exif\0" then a pad byte
      try (ImageInputStream tiff =
          ImageIO.createImageInputStream(
              new ByteArrayInputStream(data, from, data.length - from))) {
        Directory directory = new TIFFReader().read(tiff);
        Entry orientation = directory.getEntryById(TIFF.TAG_ORIENTATION);
        if (orientation == null || !(orientation.getValue() instanceof Number n)) {
          return 1;
        }
        int o = n.intValue();
        return o >= 1 && o <= 8 ? o : 1;
      }
    } catch (IOException | RuntimeException e) {
      return 1;
    }
  }

  /** The image as displayed for EXIF orientation {@code o} (TIFF 6.0 tag 274). */
  static BufferedImage orient(BufferedImage in, int o) {
    if (o == 1) {
      return in;
    }
    int w = in.getWidth();
    int h = in.getHeight();
    boolean swap = o >= 5;
    int ow = swap ? h : w;
    int oh = swap ? w : h;
    BufferedImage out = new BufferedImage(ow, oh, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < oh; y++) {
      for (int x = 0; x < ow; x++) {
        int sx;
        int sy;
        switch (o) {
          case 2 -> { // mirrored horizontally
            sx = w - 1 - x;
            sy = y;
          }
          case 3 -> { // rotated 180°
            sx = w - 1 - x;
            sy = h - 1 - y;
          }
          case 4 -> { // mirrored vertically
            sx = x;
            sy = h - 1 - y;
          }
          case 5 -> { // transposed
            sx = y;
            sy = x;
          }
          case 6 -> { // to be rotated 90° clockwise
            sx = y;
            sy = h - 1 - x;
          }
          case 7 -> { // transversed
            sx = w - 1 - y;
            sy = h - 1 - x;
          }
          default -> { // 8: to be rotated 90° counter-clockwise
            sx = w - 1 - y;
            sy = x;
          }
        }
        out.setRGB(x, y, in.getRGB(sx, sy));
      }
    }
    return out;
  }
}

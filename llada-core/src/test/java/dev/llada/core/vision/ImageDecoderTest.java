package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.vision.ImageInputException.Reason;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import org.junit.jupiter.api.Test;

/**
 * Decoding: every colour model a PNG or JPEG may carry ends as 8-bit RGB, EXIF orientation is
 * applied, and every bad input is refused with its reason — a decompression bomb from its header,
 * before any pixel is decoded.
 */
class ImageDecoderTest {

  private static final int RED = 0xFF0000;
  private static final int BLUE = 0x0000FF;

  private static byte[] encode(BufferedImage image, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(image, format, out), "ImageIO writes " + format);
    return out.toByteArray();
  }

  /** A w × h image, left half red, right half blue. */
  private static BufferedImage halves(int w, int h, int type) {
    BufferedImage image = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, 0xFF000000 | (x < w / 2 ? RED : BLUE));
      }
    }
    return image;
  }

  private static BufferedImage decode(byte[] bytes) {
    return ImageDecoder.decode(bytes, ImageLimits.DEFAULT);
  }

  @Test
  void everyPngColourModelBecomesEightBitRgb() throws Exception {
    BufferedImage rgb = decode(encode(halves(6, 3, BufferedImage.TYPE_INT_RGB), "png"));
    assertEquals(BufferedImage.TYPE_INT_RGB, rgb.getType());
    assertEquals(RED, rgb.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(BLUE, rgb.getRGB(5, 2) & 0xFFFFFF);
    // grey, 8 and 16 bits: the same value in R, G and B
    for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY}) {
      BufferedImage grey = new BufferedImage(4, 4, type);
      WritableRaster r = grey.getRaster();
      int max = type == BufferedImage.TYPE_BYTE_GRAY ? 255 : 65535;
      r.setSample(1, 1, 0, max);
      BufferedImage out = decode(encode(grey, "png"));
      assertEquals(0xFFFFFF, out.getRGB(1, 1) & 0xFFFFFF, "white in every channel");
      assertEquals(0, out.getRGB(0, 0) & 0xFFFFFF);
    }
    // palette
    byte[] reds = {0, (byte) 255};
    byte[] zeros = {0, 0};
    byte[] blues = {(byte) 255, 0};
    BufferedImage palette =
        new BufferedImage(
            4, 2, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, reds, zeros, blues));
    palette.getRaster().setSample(2, 1, 0, 1);
    BufferedImage fromPalette = decode(encode(palette, "png"));
    assertEquals(BLUE, fromPalette.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(RED, fromPalette.getRGB(2, 1) & 0xFFFFFF);
    // alpha: dropped, the colour values kept (PIL's convert("RGB")), even where fully transparent
    BufferedImage alpha = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    alpha.setRGB(0, 0, 0x00123456);
    alpha.setRGB(1, 0, 0x80FF0000);
    BufferedImage fromAlpha = decode(encode(alpha, "png"));
    assertEquals(0x123456, fromAlpha.getRGB(0, 0) & 0xFFFFFF);
    assertEquals(RED, fromAlpha.getRGB(1, 0) & 0xFFFFFF);
  }

  @Test
  void jpegsDecodeIncludingCmykAndGrey() throws Exception {
    BufferedImage jpeg = decode(encode(halves(16, 8, BufferedImage.TYPE_INT_RGB), "jpeg"));
    assertEquals(16, jpeg.getWidth());
    int left = jpeg.getRGB(2, 4);
    assertTrue(((left >> 16) & 0xFF) > 200 && (left & 0xFF) < 60, Integer.toHexString(left));
    BufferedImage grey = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(3, 3, 0, 255);
    assertEquals(8, decode(encode(grey, "jpeg")).getHeight());
    // a four-channel (CMYK) JPEG, which the JDK's own reader refuses: C = 255 everywhere → cyan-ish
    WritableRaster cmyk = WritableRaster.createInterleavedRaster(0, 8, 8, 4, null);
    for (int y = 0; y < 8; y++) {
      for (int x = 0; x < 8; x++) {
        cmyk.setPixel(x, y, new int[] {255, 0, 0, 0});
      }
    }
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (var out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.write(null, new IIOImage(cmyk, null, null), null);
    } finally {
      writer.dispose();
    }
    BufferedImage fromCmyk = decode(bytes.toByteArray());
    assertEquals(8, fromCmyk.getWidth());
    assertEquals(BufferedImage.TYPE_INT_RGB, fromCmyk.getType());
  }

  /** A JPEG with an EXIF APP1 segment holding only the orientation tag. */
  private static byte[] withOrientation(byte[] jpeg, int orientation) {
    ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4);
    tiff.put(new byte[] {'M', 'M', 0, 42}).putInt(8); // big-endian TIFF, IFD at 8
    tiff.putShort((short) 1); // one entry
    tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1); // Orientation, SHORT, 1 value
    tiff.putShort((short) orientation).putShort((short) 0);
    tiff.putInt(0); // no next IFD
    byte[] payload = tiff.array();
    byte[] header = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
    int length = 2 + header.length + payload.length;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(0xFF);
    out.write(0xE1);
    out.write(length >> 8);
    out.write(length & 0xFF);
    out.writeBytes(header);
    out.writeBytes(payload);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  @Test
  void exifOrientationIsApplied() throws Exception {
    byte[] plain = encode(halves(16, 8, BufferedImage.TYPE_INT_RGB), "jpeg");
    assertEquals(1, ImageDecoder.exifOrientation(plain));
    byte[] rotated = withOrientation(plain, 6);
    assertEquals(6, ImageDecoder.exifOrientation(rotated));
    BufferedImage shown = decode(rotated);
    // stored 16 × 8, left red: shown 8 × 16 turned clockwise, red on top
    assertEquals(8, shown.getWidth());
    assertEquals(16, shown.getHeight());
    assertTrue(((shown.getRGB(4, 2) >> 16) & 0xFF) > 200, "red on top");
    assertTrue((shown.getRGB(4, 13) & 0xFF) > 200, "blue below");
    // the eight orientations against their definitions, on a 3 × 2 image with distinct pixels
    BufferedImage small = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
    for (int i = 0; i < 6; i++) {
      small.setRGB(i % 3, i / 3, i + 1);
    }
    int[][] expected = { // row-major pixels as displayed
      {1, 2, 3, 4, 5, 6}, {3, 2, 1, 6, 5, 4}, {6, 5, 4, 3, 2, 1}, {4, 5, 6, 1, 2, 3},
      {1, 4, 2, 5, 3, 6}, {4, 1, 5, 2, 6, 3}, {6, 3, 5, 2, 4, 1}, {3, 6, 2, 5, 1, 4}
    };
    for (int o = 1; o <= 8; o++) {
      BufferedImage out = ImageDecoder.orient(small, o);
      int[] got = out.getRGB(0, 0, out.getWidth(), out.getHeight(), null, 0, out.getWidth());
      for (int i = 0; i < got.length; i++) {
        got[i] &= 0xFFFFFF;
      }
      assertArrayEquals(expected[o - 1], got, "orientation " + o);
    }
    // a broken EXIF block is ignored: the image as stored
    byte[] broken = withOrientation(plain, 6);
    broken[30] = 'X'; // inside the TIFF header
    assertEquals(16, decode(broken).getWidth());
  }

  /** A PNG of only a header declaring w × h (and IEND): a decompression bomb's first bytes. */
  private static byte[] pngHeader(int w, int h) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h);
    ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static ImageInputException refused(byte[] bytes, ImageLimits limits) {
    return assertThrows(ImageInputException.class, () -> ImageDecoder.decode(bytes, limits));
  }

  @Test
  void badInputIsRefusedWithItsReason() throws Exception {
    ImageInputException bomb = refused(pngHeader(60000, 60000), ImageLimits.DEFAULT);
    assertEquals(Reason.IMAGE_TOO_LARGE, bomb.reason());
    assertTrue(bomb.getMessage().contains("60,000 × 60,000"), bomb.getMessage());
    assertTrue(bomb.getMessage().contains("not decoded"), bomb.getMessage());
    ImageInputException side = refused(pngHeader(20000, 2), ImageLimits.DEFAULT);
    assertEquals(Reason.IMAGE_TOO_LARGE, side.reason());
    byte[] png = encode(halves(32, 32, BufferedImage.TYPE_INT_RGB), "png");
    ImageInputException bytes = refused(png, new ImageLimits(100, 1 << 20, 1024));
    assertEquals(Reason.IMAGE_TOO_LARGE, bytes.reason());
    assertTrue(bytes.getMessage().contains("bytes"), bytes.getMessage());
    assertEquals("image_too_large", bytes.code());
    // not images
    assertEquals(
        Reason.NOT_AN_IMAGE,
        refused("hello, world".getBytes(StandardCharsets.UTF_8), ImageLimits.DEFAULT).reason());
    assertEquals(Reason.NOT_AN_IMAGE, refused(new byte[0], ImageLimits.DEFAULT).reason());
    ImageInputException gif =
        refused("GIF89a....".getBytes(StandardCharsets.US_ASCII), ImageLimits.DEFAULT);
    assertEquals(Reason.UNSUPPORTED_IMAGE, gif.reason());
    assertTrue(gif.getMessage().contains("GIF"), gif.getMessage());
    // corrupt: a header with no pixel data, a truncated PNG, a JPEG cut after its header
    assertEquals(Reason.CORRUPT_IMAGE, refused(pngHeader(4, 4), ImageLimits.DEFAULT).reason());
    assertEquals(
        Reason.CORRUPT_IMAGE,
        refused(Arrays.copyOf(png, png.length / 2), ImageLimits.DEFAULT).reason());
    byte[] jpeg = encode(halves(64, 64, BufferedImage.TYPE_INT_RGB), "jpeg");
    ImageInputException cut = refused(Arrays.copyOf(jpeg, 200), ImageLimits.DEFAULT);
    assertTrue(
        cut.reason() == Reason.CORRUPT_IMAGE || cut.reason() == Reason.UNSUPPORTED_IMAGE,
        cut.reason() + ": " + cut.getMessage());
  }
}

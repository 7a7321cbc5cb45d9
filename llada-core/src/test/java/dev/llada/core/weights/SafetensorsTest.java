package dev.llada.core.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir Path temp;

  @Test
  void roundTripsEveryDtypeWithMetadataAndAlignedHeader() throws Exception {
    Random random = new Random(1);
    float[] data = new float[6 * 5];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) random.nextGaussian();
    }
    Path file = temp.resolve("t.safetensors");
    SafetensorsWriter.write(
        file,
        List.of(
            new SafetensorsWriter.Tensor("a", new long[] {6, 5}, data, DType.F32),
            new SafetensorsWriter.Tensor("b", new long[] {30}, data, DType.BF16),
            new SafetensorsWriter.Tensor("c", new long[] {5, 6}, data, DType.F16)),
        Map.of("format", "pt"));
    byte[] bytes = Files.readAllBytes(file);
    long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLength % 8, "header padded to 8 bytes");
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertEquals(List.of("a", "b", "c"), List.copyOf(st.tensors().keySet()));
      assertEquals("pt", st.metadata().get("format"));
      assertArrayEquals(new long[] {6, 5}, st.info("a").shape());
      assertArrayEquals(data, st.readFloats("a"));
      float[] bf16 = st.readFloats("b");
      float[] f16 = st.readFloats("c");
      for (int i = 0; i < data.length; i++) {
        assertEquals(data[i], bf16[i], Math.abs(data[i]) / 128, "bf16 keeps 8 bits of mantissa");
        assertEquals(data[i], f16[i], Math.abs(data[i]) / 1024 + 1e-7, "f16 keeps 11 bits");
      }
    }
  }

  @Test
  void halfFloatConversionsRoundToNearestEven() {
    assertEquals(1.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1.0f)));
    // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to the even one (1.0)
    assertEquals(1.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1.0f + 0x1p-8f)));
    // 1 + 2^-7 + 2^-8 is halfway between 1 + 2^-7 (odd last bit) and 1 + 2^-6 (even): rounds up
    assertEquals(
        1.0f + 0x1p-6f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(1.0f + 0x1p-7f + 0x1p-8f)));
    assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))));
    assertEquals(65504f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(65504f)));
    assertEquals(Float.POSITIVE_INFINITY, HalfFloats.f16ToFloat(HalfFloats.floatToF16(70000f)));
    assertEquals(
        0x1p-24f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(0x1p-24f)), "smallest subnormal");
    assertEquals(-2.5f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(-2.5f)));
    assertEquals(
        1.0f, HalfFloats.f16ToFloat(HalfFloats.floatToF16(1.0f + 0x1p-11f)), "tie to even");
  }

  @Test
  void corruptFilesAreRejectedWithTheReason() throws Exception {
    assertRejected(new byte[] {1, 2, 3}, "too short");
    assertRejected(
        header("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 4),
        "data section of 4 bytes");
    assertRejected(
        header("{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8),
        "shape and dtype need 12");
    assertRejected(
        header("{\"a\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8),
        "dtype I64");
    assertRejected(
        header(
            "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
                + " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}",
            12),
        "gap or overlap");
    assertRejected(header("[1, 2]", 0), "not a JSON object");
    ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40);
    assertRejected(huge.array(), "declares a header of");
    ModelFormatException missing =
        assertThrows(
            ModelFormatException.class,
            () -> SafetensorsFile.open(temp.resolve("nope.safetensors")));
    assertTrue(missing.getMessage().contains("is missing"));
  }

  @Test
  void offsetsBeyondTwoGibibytesAreLongs() throws Exception {
    // a sparse file: one 2 GiB + 4 byte tensor, then a small one at an offset above 2^31
    long big = (1L << 31) + 4;
    String json =
        "{\"big\": {\"dtype\": \"F32\", \"shape\": ["
            + big / 4
            + "], \"data_offsets\": [0, "
            + big
            + "]},"
            + " \"small\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": ["
            + big
            + ", "
            + (big + 8)
            + "]}}";
    byte[] head = json.getBytes(StandardCharsets.UTF_8);
    Path file = temp.resolve("sparse.safetensors");
    try (var channel =
        java.nio.channels.FileChannel.open(
            file,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      ByteBuffer prefix = ByteBuffer.allocate(8 + head.length).order(ByteOrder.LITTLE_ENDIAN);
      prefix.putLong(head.length).put(head).flip();
      channel.write(prefix);
      ByteBuffer small =
          ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).flip();
      channel.write(small, 8 + head.length + big);
    }
    try (SafetensorsFile st = SafetensorsFile.open(file)) {
      assertArrayEquals(new float[] {1.5f, -2f}, st.readFloats("small"));
      ModelFormatException tooBig = assertThrows(ModelFormatException.class, () -> st.raw("big"));
      assertTrue(tooBig.getMessage().contains("larger than 2 GiB"), tooBig.getMessage());
    }
  }

  private void assertRejected(byte[] bytes, String reason) throws Exception {
    Path file = Files.createTempFile(temp, "bad", ".safetensors");
    Files.write(file, bytes);
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
  }

  private static byte[] header(String json, int dataBytes) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }
}

package dev.llada.core.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.config.ModelFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped. The header is validated as the reference reader does: its
 * length fits the file, every entry has a known dtype, non-negative shape and offsets whose length
 * matches the shape, and the entries tile the data section exactly, with no gap or overlap. Offsets
 * are {@code long}: files beyond 2 GiB work; one tensor must stay under 2 GiB (one mapping).
 */
public final class SafetensorsFile implements Closeable {

  /** Headers larger than this are refused (the reference reader's limit is 100 MB). */
  static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, TensorInfo> tensors,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates {@code file}; the tensors are mapped only when read. */
  public static SafetensorsFile open(Path file) {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + " is missing");
    } catch (IOException e) {
      throw new ModelFormatException("cannot open " + file + ": " + e.getMessage(), e);
    }
    try {
      long size = channel.size();
      if (size < 8) {
        throw bad(file, "is " + size + " bytes, too short for a safetensors header");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.flip().getLong();
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
        throw bad(
            file,
            "declares a header of " + headerLength + " bytes in a file of " + size + " bytes");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      String headerText = new String(headerBytes.array(), StandardCharsets.UTF_8);
      long dataStart = 8 + headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, TensorInfo> tensors = parseHeader(file, headerText, size - dataStart, metadata);
      return new SafetensorsFile(file, channel, dataStart, tensors, metadata);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static Map<String, TensorInfo> parseHeader(
      Path file, String text, long dataLength, Map<String, String> metadata) {
    JsonObject header;
    try {
      header = JsonParser.parseString(text).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw bad(file, "has a header that is not a JSON object");
    }
    List<TensorInfo> entries = new ArrayList<>();
    for (Map.Entry<String, JsonElement> e : header.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        if (e.getValue().isJsonObject()) {
          e.getValue()
              .getAsJsonObject()
              .entrySet()
              .forEach(m -> metadata.put(m.getKey(), m.getValue().getAsString()));
        }
        continue;
      }
      entries.add(entry(file, e.getKey(), e.getValue()));
    }
    entries.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    long expected = 0;
    for (TensorInfo t : entries) {
      if (t.begin() != expected) {
        throw bad(
            file,
            "tensor "
                + t.name()
                + " starts at byte "
                + t.begin()
                + " of the data section, expected "
                + expected
                + " (gap or overlap)");
      }
      expected = t.end();
    }
    if (expected != dataLength) {
      throw bad(
          file,
          "has a data section of "
              + dataLength
              + " bytes but its tensors cover "
              + expected
              + " (truncated or padded file)");
    }
    Map<String, TensorInfo> byName = new LinkedHashMap<>();
    entries.forEach(t -> byName.put(t.name(), t));
    return Collections.unmodifiableMap(byName);
  }

  private static TensorInfo entry(Path file, String name, JsonElement value) {
    try {
      JsonObject o = value.getAsJsonObject();
      String dtypeName = o.get("dtype").getAsString();
      DType dtype;
      try {
        dtype = DType.valueOf(dtypeName);
      } catch (IllegalArgumentException e) {
        throw bad(
            file, "tensor " + name + " has dtype " + dtypeName + "; supported: F32, F16, BF16");
      }
      var shapeJson = o.getAsJsonArray("shape");
      long[] shape = new long[shapeJson.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shapeJson.get(i).getAsLong();
        if (shape[i] < 0) {
          throw bad(file, "tensor " + name + " has a negative dimension");
        }
      }
      var offsets = o.getAsJsonArray("data_offsets");
      if (offsets.size() != 2) {
        throw bad(file, "tensor " + name + " needs data_offsets [begin, end]");
      }
      long begin = offsets.get(0).getAsLong();
      long end = offsets.get(1).getAsLong();
      TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
      if (begin < 0 || end < begin) {
        throw bad(file, "tensor " + name + " has data_offsets [" + begin + ", " + end + "]");
      }
      long expected = Math.multiplyExact(info.elementCount(), (long) dtype.bytes());
      if (end - begin != expected) {
        throw bad(
            file,
            "tensor "
                + name
                + " has "
                + (end - begin)
                + " bytes but its shape and dtype need "
                + expected);
      }
      return info;
    } catch (ModelFormatException e) {
      throw e;
    } catch (RuntimeException e) {
      throw bad(file, "has a malformed entry for tensor " + name + " (" + e + ")");
    }
  }

  public Path path() {
    return path;
  }

  /** Header entries in data order. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** The optional {@code __metadata__} strings. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** The entry called {@code name}. */
  public TensorInfo info(String name) {
    TensorInfo info = tensors.get(name);
    if (info == null) {
      throw new ModelFormatException(path + " has no tensor " + name);
    }
    return info;
  }

  /** The tensor's raw little-endian bytes, mapped read-only (never write through it). */
  public ByteBuffer raw(String name) {
    TensorInfo info = info(name);
    if (info.byteLength() > Integer.MAX_VALUE) {
      throw new ModelFormatException(
          path + ": tensor " + name + " is larger than 2 GiB and cannot be mapped in one piece");
    }
    try {
      return channel
          .map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin(), info.byteLength())
          .order(ByteOrder.LITTLE_ENDIAN);
    } catch (IOException e) {
      throw new ModelFormatException("cannot map " + name + " from " + path + ": " + e, e);
    }
  }

  /**
   * The tensor as float32 bytes in a direct, native-order buffer, ready for {@code
   * NDManager.create(buffer, shape, FLOAT32)}: F32 is the mapping itself (zero copy, read-only),
   * F16 and BF16 are widened in Java.
   */
  public ByteBuffer float32(String name) {
    TensorInfo info = info(name);
    ByteBuffer raw = raw(name);
    if (info.dtype() == DType.F32 && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      return raw;
    }
    int n = Math.toIntExact(info.elementCount());
    ByteBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
    FloatBuffer floats = out.asFloatBuffer();
    switch (info.dtype()) {
      case F32 -> {
        FloatBuffer in = raw.asFloatBuffer();
        for (int i = 0; i < n; i++) {
          floats.put(i, in.get(i));
        }
      }
      case BF16 -> {
        ShortBuffer halves = raw.asShortBuffer();
        for (int i = 0; i < n; i++) {
          floats.put(i, HalfFloats.bf16ToFloat(halves.get(i)));
        }
      }
      case F16 -> {
        ShortBuffer halves = raw.asShortBuffer();
        for (int i = 0; i < n; i++) {
          floats.put(i, HalfFloats.f16ToFloat(halves.get(i)));
        }
      }
    }
    return out;
  }

  /** The tensor as a Java float array (copies; for small tensors and tests). */
  public float[] readFloats(String name) {
    FloatBuffer buffer = float32(name).order(ByteOrder.nativeOrder()).asFloatBuffer();
    float[] out = new float[buffer.remaining()];
    buffer.get(0, out);
    return out;
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position)
      throws IOException {
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, position + buffer.position());
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private static ModelFormatException bad(Path file, String what) {
    return new ModelFormatException(file + " " + what);
  }
}

package dev.llada.core.weights;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files from float32 data, storing each tensor as F32, F16 or BF16 (narrowed
 * with round-to-nearest-even). The header is padded with spaces to a multiple of 8 bytes, as the
 * Hugging Face writer does. Files are written to a temporary name and moved into place, so a crash
 * never leaves a half-written checkpoint under the real name.
 */
public final class SafetensorsWriter {

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  /** A tensor to write. */
  public record Tensor(String name, long[] shape, float[] data, DType dtype) {
    public Tensor {
      long n = 1;
      for (long d : shape) {
        n *= d;
      }
      if (n != data.length) {
        throw new IllegalArgumentException(
            name + ": shape holds " + n + " elements but data has " + data.length);
      }
    }

    long byteLength() {
      return (long) data.length * dtype.bytes();
    }
  }

  private SafetensorsWriter() {}

  /** Writes one file holding {@code tensors} in the given order. */
  public static void write(Path file, List<Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    JsonObject header = new JsonObject();
    if (metadata != null && !metadata.isEmpty()) {
      JsonObject meta = new JsonObject();
      metadata.forEach(meta::addProperty);
      header.add("__metadata__", meta);
    }
    long offset = 0;
    for (Tensor t : tensors) {
      JsonObject entry = new JsonObject();
      entry.addProperty("dtype", t.dtype().name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      entry.add("shape", shape);
      JsonArray offsets = new JsonArray();
      offsets.add(offset);
      offsets.add(offset + t.byteLength());
      entry.add("data_offsets", offsets);
      header.add(t.name(), entry);
      offset += t.byteLength();
    }
    byte[] json = GSON.toJson(header).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
      out.write(length.array());
      out.write(json);
      for (int i = json.length; i < padded; i++) {
        out.write(' ');
      }
      for (Tensor t : tensors) {
        out.write(encode(t));
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Writes a sharded checkpoint into {@code directory}: {@code model-0000k-of-0000n.safetensors}
   * files of at most {@code maxShardBytes} each (a larger tensor gets a shard of its own) and
   * {@code model.safetensors.index.json} with {@code metadata.total_size} and the {@code
   * weight_map}.
   */
  public static void writeSharded(Path directory, List<Tensor> tensors, long maxShardBytes)
      throws IOException {
    List<List<Tensor>> shards = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long size = 0;
    long total = 0;
    for (Tensor t : tensors) {
      if (!current.isEmpty() && size + t.byteLength() > maxShardBytes) {
        shards.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(t);
      size += t.byteLength();
      total += t.byteLength();
    }
    if (!current.isEmpty()) {
      shards.add(current);
    }
    Files.createDirectories(directory);
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      write(directory.resolve(name), shards.get(i), Map.of("format", "pt"));
      for (Tensor t : shards.get(i)) {
        weightMap.put(t.name(), name);
      }
    }
    JsonObject index = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("total_size", total);
    index.add("metadata", meta);
    JsonObject map = new JsonObject();
    weightMap.forEach(map::addProperty);
    index.add("weight_map", map);
    Files.writeString(
        directory.resolve(Checkpoint.INDEX_FILE),
        new GsonBuilder().setPrettyPrinting().create().toJson(index),
        StandardCharsets.UTF_8);
  }

  private static byte[] encode(Tensor t) {
    ByteBuffer buffer =
        ByteBuffer.allocate(Math.toIntExact(t.byteLength())).order(ByteOrder.LITTLE_ENDIAN);
    switch (t.dtype()) {
      case F32 -> {
        for (float v : t.data()) {
          buffer.putFloat(v);
        }
      }
      case F16 -> {
        for (float v : t.data()) {
          buffer.putShort(HalfFloats.floatToF16(v));
        }
      }
      case BF16 -> {
        for (float v : t.data()) {
          buffer.putShort(HalfFloats.floatToBf16(v));
        }
      }
    }
    return buffer.array();
  }
}

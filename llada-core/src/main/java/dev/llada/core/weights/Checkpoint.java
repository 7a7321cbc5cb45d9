package dev.llada.core.weights;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.config.ModelFormatException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor → file). Every shard is opened
 * and validated up front; tensors are mapped lazily.
 */
public final class Checkpoint implements Closeable {

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path directory;
  private final Map<String, SafetensorsFile> shardOf;
  private final Map<String, SafetensorsFile> files;

  private Checkpoint(
      Path directory, Map<String, SafetensorsFile> shardOf, Map<String, SafetensorsFile> files) {
    this.directory = directory;
    this.shardOf = shardOf;
    this.files = files;
  }

  /** Opens the checkpoint of {@code directory}. */
  public static Checkpoint open(Path directory) {
    Path index = directory.resolve(INDEX_FILE);
    if (Files.isRegularFile(index)) {
      return openSharded(directory, index);
    }
    Path single = directory.resolve(SINGLE_FILE);
    if (!Files.isRegularFile(single)) {
      throw new ModelFormatException(
          directory + " has neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }
    SafetensorsFile file = SafetensorsFile.open(single);
    Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
    file.tensors().keySet().forEach(name -> shardOf.put(name, file));
    return new Checkpoint(directory, shardOf, Map.of(SINGLE_FILE, file));
  }

  private static Checkpoint openSharded(Path directory, Path index) {
    JsonObject weightMap;
    try {
      JsonObject json =
          JsonParser.parseString(Files.readString(index, StandardCharsets.UTF_8)).getAsJsonObject();
      if (!json.has("weight_map") || !json.get("weight_map").isJsonObject()) {
        throw new ModelFormatException(index + " has no \"weight_map\" object");
      }
      weightMap = json.getAsJsonObject("weight_map");
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + index + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(index + " is not a JSON object", e);
    }
    Map<String, SafetensorsFile> files = new TreeMap<>();
    Map<String, SafetensorsFile> shardOf = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, JsonElement> e : weightMap.entrySet()) {
        String fileName = e.getValue().getAsString();
        Path shard = directory.resolve(fileName).normalize();
        if (!shard.getParent().equals(directory.normalize())) {
          throw new ModelFormatException(
              index + " points outside the model directory: " + fileName);
        }
        SafetensorsFile file = files.get(fileName);
        if (file == null) {
          file = SafetensorsFile.open(shard);
          files.put(fileName, file);
        }
        if (!file.tensors().containsKey(e.getKey())) {
          throw new ModelFormatException(
              index + " maps " + e.getKey() + " to " + fileName + ", which does not contain it");
        }
        shardOf.put(e.getKey(), file);
      }
      for (Map.Entry<String, SafetensorsFile> f : files.entrySet()) {
        for (String name : f.getValue().tensors().keySet()) {
          if (shardOf.get(name) != f.getValue()) {
            throw new ModelFormatException(
                f.getKey()
                    + " holds "
                    + name
                    + ", which "
                    + INDEX_FILE
                    + " maps elsewhere or not at all");
          }
        }
      }
    } catch (RuntimeException e) {
      files.values().forEach(SafetensorsFile::close);
      throw e;
    }
    return new Checkpoint(directory, shardOf, files);
  }

  public Path directory() {
    return directory;
  }

  /** Tensor names, in file and data order. */
  public Set<String> names() {
    return Collections.unmodifiableSet(shardOf.keySet());
  }

  /** Shard file names (one for a single-file checkpoint). */
  public Set<String> fileNames() {
    return Collections.unmodifiableSet(files.keySet());
  }

  public boolean contains(String name) {
    return shardOf.containsKey(name);
  }

  public TensorInfo info(String name) {
    return file(name).info(name);
  }

  /** Element types present. */
  public Set<DType> dtypes() {
    EnumSet<DType> types = EnumSet.noneOf(DType.class);
    shardOf.forEach((name, file) -> types.add(file.info(name).dtype()));
    return types;
  }

  /** See {@link SafetensorsFile#float32(String)}. */
  public ByteBuffer float32(String name) {
    return file(name).float32(name);
  }

  public float[] readFloats(String name) {
    return file(name).readFloats(name);
  }

  private SafetensorsFile file(String name) {
    SafetensorsFile file = shardOf.get(name);
    if (file == null) {
      throw new ModelFormatException(directory + ": the checkpoint has no tensor " + name);
    }
    return file;
  }

  @Override
  public void close() {
    files.values().forEach(SafetensorsFile::close);
  }
}

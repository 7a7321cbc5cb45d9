package dev.llada.core.training;

import ai.djl.ndarray.NDArray;
import com.google.gson.GsonBuilder;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsFile;
import dev.llada.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A training run's checkpoints: {@code step-NNNNNNN/train-state.safetensors} holding every
 * parameter ({@code param/…}) and both AdamW moments ({@code adam_m/…}, {@code adam_v/…}) in
 * float32, the step, the tokens seen and the recipe's SHA-256 in the metadata, and a {@code
 * COMPLETE} marker written last. A checkpoint is built in a temporary directory and renamed into
 * place, so a kill leaves either the whole checkpoint or none; the newest two are kept.
 */
public final class TrainingCheckpoints {

  private TrainingCheckpoints() {}

  /** What a checkpoint restored. */
  public record Restored(int step, long tokens, Map<String, String> metadata) {}

  /** Writes the state after {@code step} into {@code dir}, with extra metadata. */
  public static Path save(
      Path dir,
      int step,
      long tokens,
      Map<String, NDArray> params,
      AdamW adam,
      String recipeSha256,
      Map<String, String> extra)
      throws IOException {
    Files.createDirectories(dir);
    Path target = dir.resolve(String.format("step-%07d", step));
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      long[] shape = e.getValue().getShape().getShape();
      String name = e.getKey();
      tensors.add(
          new SafetensorsWriter.Tensor(
              "param/" + name, shape, e.getValue().toFloatArray(), DType.F32));
      tensors.add(
          new SafetensorsWriter.Tensor(
              "adam_m/" + name, shape, adam.firstMoments().get(name).toFloatArray(), DType.F32));
      tensors.add(
          new SafetensorsWriter.Tensor(
              "adam_v/" + name, shape, adam.secondMoments().get(name).toFloatArray(), DType.F32));
    }
    Map<String, String> metadata = new HashMap<>(extra);
    metadata.put("step", Integer.toString(step));
    metadata.put("tokens", Long.toString(tokens));
    metadata.put("recipe_sha256", recipeSha256);
    SafetensorsWriter.write(tmp.resolve("train-state.safetensors"), tensors, metadata);
    Files.writeString(tmp.resolve("COMPLETE"), "step " + step + "\n");
    deleteTree(target);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    List<Path> all = all(dir);
    for (int i = 0; i + 2 < all.size(); i++) { // keep the newest two
      deleteTree(all.get(i));
    }
    return target;
  }

  /**
   * Loads a checkpoint into {@code params} and {@code adam} (either may be null to skip it).
   *
   * @throws IllegalArgumentException when it was written under another recipe
   */
  public static Restored restore(
      Path checkpoint, Map<String, NDArray> params, AdamW adam, String recipeSha256) {
    try (SafetensorsFile file =
        SafetensorsFile.open(checkpoint.resolve("train-state.safetensors"))) {
      String sha = file.metadata().get("recipe_sha256");
      if (!recipeSha256.equals(sha)) {
        throw new IllegalArgumentException(
            "the recipe changed since "
                + checkpoint
                + " was written; delete "
                + checkpoint.getParent()
                + " to start over");
      }
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        e.getValue().set(FloatBuffer.wrap(file.readFloats("param/" + e.getKey())));
        if (adam != null) {
          adam.firstMoments()
              .get(e.getKey())
              .set(FloatBuffer.wrap(file.readFloats("adam_m/" + e.getKey())));
          adam.secondMoments()
              .get(e.getKey())
              .set(FloatBuffer.wrap(file.readFloats("adam_v/" + e.getKey())));
        }
      }
      return new Restored(
          Integer.parseInt(file.metadata().get("step")),
          Long.parseLong(file.metadata().get("tokens")),
          Map.copyOf(file.metadata()));
    }
  }

  /** The newest complete checkpoint in {@code dir}, or null. */
  public static Path latest(Path dir) {
    List<Path> all = all(dir);
    return all.isEmpty() ? null : all.get(all.size() - 1);
  }

  /** Writes a model directory's config.json and model.safetensors (F32). */
  public static void writeModel(Path out, LladaConfig config, LladaNetwork network)
      throws IOException {
    Files.createDirectories(out);
    Files.writeString(
        out.resolve("config.json"),
        new GsonBuilder().setPrettyPrinting().create().toJson(config.toJson()),
        StandardCharsets.UTF_8);
    SafetensorsWriter.write(
        out.resolve(Checkpoint.SINGLE_FILE),
        network.toCheckpointTensors(DType.F32),
        Map.of("format", "pt"));
  }

  private static List<Path> all(Path dir) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("step-\\d+"))
          .filter(p -> Files.exists(p.resolve("COMPLETE")))
          .sorted(Comparator.comparing(p -> p.getFileName().toString()))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a file tree if it exists. */
  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}

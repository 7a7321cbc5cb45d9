package dev.llada.core.weights;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.LladaNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a model directory holds, checked: a valid {@code config.json}, a checkpoint whose tensors
 * match it exactly, and a content digest over every file that defines the model. Used to register
 * versions (the digest pins them) and in model cards. Reads headers only; no engine needed.
 *
 * @param config the architecture
 * @param parameterCount elements over all tensors
 * @param dtype the checkpoint's element type ({@code F32}, {@code F16}, {@code BF16}, or {@code
 *     MIXED})
 * @param layout {@code single} or {@code sharded (N files)}
 * @param files the model's files, relative, sorted
 * @param hasTokenizer whether {@code tokenizer.json} is present
 * @param digest {@code sha256:<hex>} over the files' names and contents
 */
public record ModelDirectory(
    LladaConfig config,
    long parameterCount,
    String dtype,
    String layout,
    List<String> files,
    boolean hasTokenizer,
    String digest) {

  private static final Set<String> DEFINING =
      Set.of(
          "config.json",
          "tokenizer.json",
          "tokenizer_config.json",
          "preprocessor_config.json",
          Checkpoint.INDEX_FILE);

  /**
   * Inspects {@code directory}.
   *
   * @throws ModelFormatException naming what is missing or wrong
   */
  public static ModelDirectory describe(Path directory) {
    if (!Files.isDirectory(directory)) {
      throw new ModelFormatException(directory + " is not a directory");
    }
    LladaConfig config = LladaConfig.read(directory);
    long parameters = 0;
    String dtype;
    String layout;
    try (Checkpoint checkpoint = Checkpoint.open(directory)) {
      if (config.family() == dev.llada.core.config.ModelFamily.LLAVA_LLADA) {
        // LLaDA-V: the language model's tensors and the vision tower's, projector's, newline's
        dev.llada.core.vision.VisionCheckpoint.validate(
            checkpoint, dev.llada.core.vision.VisionModelConfig.read(directory));
      } else {
        LladaNames.validate(checkpoint, dev.llada.core.model.LladaNetwork.checkpointShapes(config));
      }
      for (String name : checkpoint.names()) {
        parameters += checkpoint.info(name).elementCount();
      }
      Set<DType> types = checkpoint.dtypes();
      dtype = types.size() == 1 ? types.iterator().next().name() : "MIXED";
      layout =
          checkpoint.fileNames().size() == 1
                  && !Files.exists(directory.resolve(Checkpoint.INDEX_FILE))
              ? "single"
              : "sharded (" + checkpoint.fileNames().size() + " files)";
    }
    TreeSet<String> files = new TreeSet<>();
    try (Stream<Path> list = Files.list(directory)) {
      list.filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(n -> DEFINING.contains(n) || n.endsWith(".safetensors"))
          .forEach(files::add);
    } catch (IOException e) {
      throw new ModelFormatException("cannot list " + directory + ": " + e.getMessage(), e);
    }
    return new ModelDirectory(
        config,
        parameters,
        dtype,
        layout,
        List.copyOf(files),
        files.contains("tokenizer.json"),
        digest(directory, new ArrayList<>(files)));
  }

  /** sha256 over "name NUL sha256(content) NUL" of each file, in name order. */
  static String digest(Path directory, List<String> files) {
    try {
      MessageDigest outer = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (String name : files) {
        MessageDigest inner = MessageDigest.getInstance("SHA-256");
        try (InputStream in =
            new DigestInputStream(Files.newInputStream(directory.resolve(name)), inner)) {
          while (in.read(buffer) >= 0) {
            // the digest stream reads it all
          }
        }
        outer.update((name + "\u0000").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        outer.update(inner.digest());
        outer.update((byte) 0);
      }
      return "sha256:" + HexFormat.of().formatHex(outer.digest());
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + directory + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

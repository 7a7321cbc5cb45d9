package dev.llada.core.model;

import com.google.gson.GsonBuilder;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random tiny LLaDA checkpoints in the real layout, written by tests for tests. */
public final class TinyModels {

  private TinyModels() {}

  /** A small config; mask and EOS ids at the top of the vocabulary, as in LLaDA. */
  public static LladaConfig config(int d, int heads, int kvHeads, int layers, int ff, int vocab) {
    return new LladaConfig(
        d, heads, kvHeads, layers, ff, vocab, vocab, 10000.0, 1e-5, 256, vocab - 1, vocab - 2,
        vocab - 2);
  }

  /**
   * A small LLaDA-MoE config (per-head q/k norms on, weights not renormalised unless {@code
   * normTopK}); {@code ff} is one expert's inner size.
   */
  public static LladaConfig moeConfig(
      int d,
      int heads,
      int kvHeads,
      int layers,
      int ff,
      int vocab,
      int experts,
      int topK,
      boolean normTopK,
      boolean expertBias) {
    return new LladaConfig(
        d,
        heads,
        kvHeads,
        layers,
        ff,
        vocab,
        vocab,
        50000.0,
        1e-5,
        256,
        vocab - 1,
        vocab - 2,
        vocab - 2,
        true,
        new dev.llada.core.config.MoeSpec(experts, topK, ff, normTopK, expertBias, 0.01, 0.001));
  }

  /** Random weights (normal, std 0.5 for projections so logits are far from uniform). */
  public static List<SafetensorsWriter.Tensor> randomWeights(
      LladaConfig c, long seed, DType dtype) {
    Random random = new Random(seed);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, long[]> e :
        dev.llada.core.model.LladaNetwork.checkpointShapes(c).entrySet()) {
      long n = 1;
      for (long s : e.getValue()) {
        n *= s;
      }
      float[] data = new float[(int) n];
      boolean norm = e.getValue().length == 1;
      double std =
          e.getKey().equals(LladaNames.WTE) || e.getKey().equals(MoeNames.EMBED)
              ? 1.0
              : 1.5 / Math.sqrt(e.getValue()[e.getValue().length - 1]);
      for (int i = 0; i < data.length; i++) {
        data[i] =
            norm
                ? (float) (1.0 + 0.1 * random.nextGaussian())
                : (float) (std * random.nextGaussian());
      }
      tensors.add(new SafetensorsWriter.Tensor(e.getKey(), e.getValue(), data, dtype));
    }
    return tensors;
  }

  /** Writes config.json and model.safetensors (or shards when maxShardBytes > 0). */
  public static Path write(Path dir, LladaConfig c, long seed, DType dtype, long maxShardBytes)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("config.json"),
        new GsonBuilder().setPrettyPrinting().create().toJson(c.toJson()),
        StandardCharsets.UTF_8);
    List<SafetensorsWriter.Tensor> weights = randomWeights(c, seed, dtype);
    if (maxShardBytes > 0) {
      SafetensorsWriter.writeSharded(dir, weights, maxShardBytes);
    } else {
      SafetensorsWriter.write(dir.resolve("model.safetensors"), weights, Map.of("format", "pt"));
    }
    return dir;
  }
}

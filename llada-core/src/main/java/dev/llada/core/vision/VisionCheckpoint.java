package dev.llada.core.vision;

import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.LladaNames;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.weights.Checkpoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a LLaDA-V checkpoint (docs/research/llada-v-layout.md §1): the language model's
 * under its LLaMA-style names, the tower's to the selected layer, the projector's and, under {@code
 * spatial_unpad}, the image newline — and no others, except the tower's {@code post_layernorm},
 * which the release keeps though it is never used.
 */
public final class VisionCheckpoint {

  private VisionCheckpoint() {}

  /** Every tensor the config implies, with its shape: the language model's first. */
  public static Map<String, long[]> expectedShapes(VisionModelConfig config) {
    int d = config.language().dModel();
    Map<String, long[]> shapes =
        new LinkedHashMap<>(LladaNetwork.checkpointShapes(config.language()));
    shapes.putAll(
        VisionTower.expectedShapes(
            config.vision(),
            VisionTower.TOWER,
            VisionTower.PROJECTOR,
            d,
            config.vision().hidden()));
    if (config.imageNewline()) {
      shapes.put(VisionTower.NEWLINE, new long[] {d});
    }
    return shapes;
  }

  /**
   * Checks names and shapes; the exception names the first tensors at fault.
   *
   * @throws ModelFormatException when a tensor is missing, of another shape, or unexpected
   */
  public static void validate(Checkpoint checkpoint, VisionModelConfig config) {
    Map<String, long[]> expected = expectedShapes(config);
    LladaNames.validate(checkpoint, expected, true, "", "its config.json", "config.json");
    List<String> unexpected = new ArrayList<>();
    for (String name : checkpoint.names()) {
      if (!expected.containsKey(name) && !name.startsWith(VisionTower.TOWER + "post_layernorm.")) {
        unexpected.add(name);
      }
    }
    if (!unexpected.isEmpty()) {
      throw new ModelFormatException(
          checkpoint.directory()
              + " does not match its config.json: unexpected tensor"
              + (unexpected.size() == 1 ? " " : "s ")
              + String.join(", ", unexpected.subList(0, Math.min(5, unexpected.size())))
              + (unexpected.size() > 5 ? " and " + (unexpected.size() - 5) + " more" : ""));
    }
  }
}

package dev.llada.core.vision;

import com.google.gson.GsonBuilder;
import dev.llada.core.model.LladaNames;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a LLaDA-V model directory in the released layout (docs/research/llada-v-layout.md §1–2):
 * {@code config.json} ({@code llava_llada}), one {@code model.safetensors} with the language model
 * under {@code rename_checkpoint.py}'s LLaMA-style names, the tower under {@code
 * model.vision_tower.vision_tower.vision_model.}, the projector under {@code model.mm_projector.}
 * and {@code model.image_newline}, and {@code preprocessor_config.json}.
 */
public final class VisionModelFiles {

  private VisionModelFiles() {}

  /**
   * Writes {@code network} (LLaDA's names inside; renamed here) and {@code tower} into {@code out}.
   */
  public static void write(
      Path out,
      VisionModelConfig config,
      LladaNetwork network,
      VisionTower tower,
      PreprocessorConfig preprocessor)
      throws IOException {
    Files.createDirectories(out);
    var gson = new GsonBuilder().setPrettyPrinting().create();
    Files.writeString(
        out.resolve("config.json"), gson.toJson(config.toJson()), StandardCharsets.UTF_8);
    Files.writeString(
        out.resolve("preprocessor_config.json"),
        gson.toJson(preprocessor.toJson()),
        StandardCharsets.UTF_8);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    for (SafetensorsWriter.Tensor t : network.toCheckpointTensors(DType.F32)) {
      String name =
          network.config().family() == dev.llada.core.config.ModelFamily.LLAVA_LLADA
              ? t.name()
              : LladaNames.llamaStyle(t.name());
      tensors.add(new SafetensorsWriter.Tensor(name, t.shape(), t.data(), t.dtype()));
    }
    tower
        .parameters()
        .forEach(
            (name, p) ->
                tensors.add(
                    new SafetensorsWriter.Tensor(
                        name, p.getShape().getShape(), p.toFloatArray(), DType.F32)));
    SafetensorsWriter.write(out.resolve(Checkpoint.SINGLE_FILE), tensors, Map.of("format", "pt"));
  }
}

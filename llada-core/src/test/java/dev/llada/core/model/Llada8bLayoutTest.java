package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint in LLaDA-8B's exact naming and sharded layout (tiny dimensions, bf16 like the
 * release): 9 tensors per block + 3, several {@code model-0000k-of-0000n.safetensors} shards and
 * the index; it loads through the same code as the real one and runs.
 */
class Llada8bLayoutTest {

  @TempDir Path temp;

  @Test
  void shardedBf16CheckpointInTheReleaseLayoutLoadsAndRuns() throws Exception {
    LladaConfig c = TinyModels.config(32, 4, 4, 3, 48, 64);
    Path dir = TinyModels.write(temp.resolve("llada-tiny"), c, 11, DType.BF16, 6_000);
    try (Checkpoint checkpoint = Checkpoint.open(dir)) {
      assertEquals(9 * 3 + 3, checkpoint.names().size());
      assertTrue(checkpoint.fileNames().size() >= 3, "sharded: " + checkpoint.fileNames());
      assertTrue(
          checkpoint
              .fileNames()
              .contains(
                  String.format("model-00001-of-%05d.safetensors", checkpoint.fileNames().size())));
      assertTrue(checkpoint.contains("model.transformer.blocks.2.ff_out.weight"));
      assertTrue(checkpoint.contains("model.transformer.ff_out.weight"));
      long total =
          JsonParser.parseString(Files.readString(dir.resolve(Checkpoint.INDEX_FILE)))
              .getAsJsonObject()
              .getAsJsonObject("metadata")
              .get("total_size")
              .getAsLong();
      assertEquals(
          c.parameterCount() * 2, total, "bf16 bytes = 2 x parameters, as LLaDA-8B's index");
      try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, "cpu")) {
        int[][] tokens = {{1, 2, 3, c.maskTokenId(), c.maskTokenId()}};
        double[][][] expected = new OracleForward(c, checkpoint).logits(tokens, null);
        DjlMaskPredictorTest.assertClose(expected, model.logits(tokens, null, 3, 5), 3, "sharded");
      }
    }
  }

  @Test
  void anIndexThatDisagreesWithItsShardsIsRejected() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 2, 24, 32);
    Path dir = TinyModels.write(temp.resolve("broken"), c, 5, DType.F32, 3_000);
    Path index = dir.resolve(Checkpoint.INDEX_FILE);
    String text = Files.readString(index);
    Files.writeString(
        index,
        text.replace(
            "\"model.transformer.ln_f.weight\": \"model-",
            "\"model.transformer.ln_f.weight\": \"xmodel-"));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir));
    assertTrue(e.getMessage().contains("xmodel-"), e.getMessage());
    Files.writeString(index, "{\"metadata\": {}}");
    ModelFormatException noMap =
        assertThrows(ModelFormatException.class, () -> Checkpoint.open(dir));
    assertTrue(noMap.getMessage().contains("weight_map"), noMap.getMessage());
  }
}

package dev.llada.core.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

  @TempDir Path temp;

  @Test
  void describesSingleAndShardedCheckpointsWithAStableDigest() throws Exception {
    LladaConfig c = TinyModels.config(16, 2, 2, 2, 24, 40);
    Path single = TinyModels.write(temp.resolve("single"), c, 1, DType.F32, 0);
    ModelDirectory d = ModelDirectory.describe(single);
    assertEquals(c.parameterCount(), d.parameterCount());
    assertEquals("F32", d.dtype());
    assertEquals("single", d.layout());
    assertEquals(List.of("config.json", "model.safetensors"), d.files());
    assertTrue(d.digest().matches("sha256:[0-9a-f]{64}"));
    assertEquals(d.digest(), ModelDirectory.describe(single).digest(), "deterministic");

    Path sharded = TinyModels.write(temp.resolve("sharded"), c, 1, DType.BF16, 2_000);
    ModelDirectory s = ModelDirectory.describe(sharded);
    assertEquals("BF16", s.dtype());
    assertTrue(s.layout().startsWith("sharded ("), s.layout());
    assertNotEquals(d.digest(), s.digest());

    Files.writeString(single.resolve("notes.txt"), "not part of the model");
    assertEquals(d.digest(), ModelDirectory.describe(single).digest(), "only defining files count");
    Files.writeString(
        single.resolve("config.json"),
        Files.readString(single.resolve("config.json")).replace("10000.0", "10001.0"));
    assertNotEquals(
        d.digest(), ModelDirectory.describe(single).digest(), "content changes the digest");
  }

  @Test
  void rejectsDirectoriesThatAreNotModels() throws Exception {
    assertThrows(ModelFormatException.class, () -> ModelDirectory.describe(temp.resolve("absent")));
    Files.createDirectories(temp.resolve("empty"));
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class, () -> ModelDirectory.describe(temp.resolve("empty")));
    assertTrue(e.getMessage().contains("config.json is missing"), e.getMessage());
  }
}

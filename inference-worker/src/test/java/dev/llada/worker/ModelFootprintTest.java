package dev.llada.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.sampling.StepBatcher;
import org.junit.jupiter.api.Test;

/** The memory a model reserves (issue #16 item 3), and the sizes operators write. */
class ModelFootprintTest {

  /** LLaDA-8B's shapes (llada-spec §1): d 4096, 32 heads, 32 layers, MLP 12,288, V 126,464. */
  private static final LladaConfig LLADA_8B =
      new LladaConfig(
          4096, 32, 32, 32, 12288, 126464, 126464, 500000.0, 1e-5, 4096, 126336, 126081, 126081);

  @Test
  void llada8bWeighs32GigabytesInFloat32AndItsWorkingSetGrowsWithTheBatch() {
    ModelFootprint one = ModelFootprint.of(LLADA_8B, 1, StepBatcher.DEFAULT_MAX_LOGITS_VALUES);
    ModelFootprint eight = ModelFootprint.of(LLADA_8B, 8, StepBatcher.DEFAULT_MAX_LOGITS_VALUES);
    assertEquals(4 * LLADA_8B.parameterCount(), one.weightBytes());
    assertTrue(one.weightBytes() > 29L << 30 && one.weightBytes() < 31L << 30, "" + one); // 32 GB
    assertEquals(one.weightBytes(), eight.weightBytes());
    // per row of 4,096 positions: KV 2·32·4096·4096·4 = 4 GiB, scores 32·4096²·4 = 2 GiB, ...
    long kv = 2L * 32 * 4096 * 4096 * 4;
    long scores = 32L * 4096 * 4096 * 4;
    long projections = 4096L * (4 * 4096 + 2 * 4096 + 3 * 12288) * 4;
    long logits = 2L * 4 * Math.min(StepBatcher.DEFAULT_MAX_LOGITS_VALUES, 4096L * 126464);
    assertEquals(kv + scores + projections + logits, one.workingBytes());
    assertEquals(8 * (kv + scores + projections) + logits, eight.workingBytes(), "logits bounded");
    assertTrue(
        eight.bytes() > 85L << 30 && eight.bytes() < 87L << 30, ByteSize.format(eight.bytes()));
  }

  /** bf16 (llada.worker.dtype): LLaDA-8B's weights in 16 GB; an MoE stays f32 (no bf16 forward). */
  @Test
  void aBf16WorkerHoldsDenseWeightsInHalfTheBytes() {
    ModelLoader bf16 = ModelLoader.in(dev.llada.core.model.Precision.BFLOAT16);
    assertEquals(2, bf16.bytesPerWeight(LLADA_8B));
    ModelFootprint half =
        ModelFootprint.of(
            LLADA_8B, 1, StepBatcher.DEFAULT_MAX_LOGITS_VALUES, bf16.bytesPerWeight(LLADA_8B));
    assertEquals(2 * LLADA_8B.parameterCount(), half.weightBytes());
    assertEquals(
        ModelFootprint.of(LLADA_8B, 1, StepBatcher.DEFAULT_MAX_LOGITS_VALUES).workingBytes(),
        half.workingBytes());
    var moe =
        new LladaConfig(
            64,
            4,
            4,
            2,
            32,
            100,
            100,
            50000.0,
            1e-5,
            128,
            99,
            98,
            98,
            true,
            new dev.llada.core.config.MoeSpec(4, 2, 32, false, false, 0.01, 0.001));
    assertEquals(4, bf16.bytesPerWeight(moe));
    assertEquals(4, ModelLoader.DJL.bytesPerWeight(LLADA_8B));
    assertEquals(ModelLoader.DJL, ModelLoader.in(dev.llada.core.model.Precision.FLOAT32));
  }

  /** LLaDA-V: LLaDA-8B plus the so400m tower (26 layers), the projector and the newline. */
  @Test
  void lladaVAddsItsTowerProjectorAndNewlineToTheLanguageModel() {
    var v =
        new dev.llada.core.vision.VisionModelConfig(
            LLADA_8B.withFamily(dev.llada.core.config.ModelFamily.LLAVA_LLADA),
            dev.llada.core.vision.VisionModelConfig.so400m(-2),
            true,
            "google/siglip2-so400m-patch14-384");
    ModelFootprint lm = ModelFootprint.of(LLADA_8B, 1, StepBatcher.DEFAULT_MAX_LOGITS_VALUES);
    ModelFootprint vision = ModelFootprint.of(v, 1, StepBatcher.DEFAULT_MAX_LOGITS_VALUES);
    // tower 26 layers without post_layernorm: 397,747,744 - 2·1152 (llada-v-layout.md §1c);
    // projector 21,504,000; newline 4,096
    long visual = 397_747_744L - 2 * 1152 + 21_504_000L + 4096;
    assertEquals(lm.weightBytes() + 4 * visual, vision.weightBytes());
    assertTrue(vision.workingBytes() > lm.workingBytes());
  }

  @Test
  void sizesAreReadAsOperatorsWriteThem() {
    assertEquals(4096, ByteSize.parse("4096"));
    assertEquals(512L << 20, ByteSize.parse("512m"));
    assertEquals(512L << 20, ByteSize.parse("512MiB"));
    assertEquals(8L << 30, ByteSize.parse(" 8g "));
    assertEquals(8L << 30, ByteSize.parse("8GB"));
    assertEquals(3L << 29, ByteSize.parse("1.5GiB"));
    assertEquals(2L << 40, ByteSize.parse("2t"));
    for (String bad : new String[] {"", "lots", "-1g", "0", "8x", "1e9", "9999999999t"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
    assertEquals("512 B", ByteSize.format(512));
    assertEquals("1.5 KiB", ByteSize.format(1536));
    assertEquals("92.1 GiB", ByteSize.format((long) (92.1 * (1L << 30))));
  }

  @Test
  void anMoeWeighsAllItsExpertsAndWorksWithItsActiveOnes() {
    LladaConfig moe =
        new LladaConfig(
            2048,
            16,
            16,
            16,
            1024,
            157184,
            157184,
            50000,
            1e-5,
            4096,
            156895,
            156892,
            156892,
            true,
            new dev.llada.core.config.MoeSpec(64, 8, 1024, false, false, 0.01, 0.001));
    ModelFootprint f = ModelFootprint.of(moe, 1, 1L << 26);
    assertEquals(4 * moe.parameterCount(), f.weightBytes(), "every expert is resident");
    assertTrue(f.weightBytes() > 27L << 30 && f.weightBytes() < 28L << 30, "" + f); // 7.4 B × 4
    long perToken = 4 * 2048 + 2 * 2048 + 8 * (3 * 1024 + 2 * 2048) + 64;
    long kv = 2L * 16 * 4096 * 2048;
    long scores = 16L * 4096 * 4096;
    assertEquals(4 * (kv + scores + 4096L * perToken + 2 * (1L << 26)), f.workingBytes());
  }
}

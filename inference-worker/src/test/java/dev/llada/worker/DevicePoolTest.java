package dev.llada.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepBatcher;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.weights.ModelDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue #16 item 5: several slots behind one worker port — routing by where a model is held and how
 * busy each slot is, pinning, preloading, per-slot memory, drain. A second "device" is a slot named
 * {@code gpu0} whose loader puts the model on the CPU (the placement logic is what is tested; the
 * real GPU load path is checked on a GPU host).
 */
class DevicePoolTest {

  private static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");
  private static final ModelRef A =
      new ModelRef("a", INSTRUCT, ModelDirectory.describe(INSTRUCT).digest());
  private static final ModelRef B = new ModelRef("b", INSTRUCT, "sha256:b");
  private static final long MEMORY = 1L << 30;

  /** Tokenizes the prompts (it runs nothing). */
  private static final LocalWorkerPool TOKENS = new LocalWorkerPool(Thread::new, "cpu", MEMORY);

  @org.junit.jupiter.api.AfterAll
  static void closeTokens() {
    TOKENS.close();
  }

  /** A slot on {@code device} whose models are loaded on the CPU. */
  private static LocalWorkerPool slot(String device, long memory, int maxBatch) {
    return new LocalWorkerPool(
        Thread::new, device, memory, maxBatch, 64, 256, (m, d) -> ModelLoader.DJL.load(m, "cpu"));
  }

  private static GenerationJob job(ModelRef m, String prompt, int steps) {
    int[] ids =
        TOKENS.encode(m, ChatTemplate.render(List.of(new ChatTemplate.Message("user", prompt))));
    return new GenerationJob(
        m,
        ids,
        new SamplingConfig(steps, steps, steps, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false),
        1,
        null,
        null,
        null,
        "t",
        1);
  }

  @Test
  void devicesAndPinningAreReadOrRefusedClearly() {
    assertEquals(Map.of("cpu", 2, "gpu0", 1), DevicePool.parseDevices("cpu:2, gpu0"));
    assertEquals(
        List.of("gpu0", "gpu1"), List.copyOf(DevicePool.parseDevices("gpu,gpu1").keySet()));
    for (String bad :
        new String[] {"", "tpu0", "cpu:0", "cpu:65", "cpu,cpu", "gpu0,gpu", "cpu;gpu0"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> DevicePool.parseDevices(bad), bad);
      assertTrue(e.getMessage().startsWith("LLADA_DEVICES"), e.getMessage());
    }
    assertEquals(
        Map.of("llada-8b", Set.of("gpu0", "gpu1"), "tiny", Set.of("cpu")),
        DevicePool.parsePinning("llada-8b=gpu0,gpu1; tiny=cpu"));
    assertEquals(Map.of(), DevicePool.parsePinning(" "));
    for (String bad : new String[] {"tiny", "=cpu", "tiny=", "a=cpu;a=gpu0"}) {
      assertThrows(IllegalArgumentException.class, () -> DevicePool.parsePinning(bad), bad);
    }
    try (LocalWorkerPool cpu = slot("cpu", MEMORY, 2)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new DevicePool(List.of(cpu), Map.of("a", Set.of("gpu3")), 2));
      assertTrue(e.getMessage().contains("pinned to gpu3"), e.getMessage());
    }
  }

  /**
   * A model stays on the slot that holds it while that slot is not too busy; a burst beyond a cold
   * start's worth of waiting work loads a second copy on the idle slot; every answer equals the
   * answer served alone.
   */
  @Test
  void requestsGoWhereTheirModelIsUnlessThatSlotIsMuchBusier() throws Exception {
    List<LocalWorkerPool> slots = List.of(slot("cpu", MEMORY, 2), slot("cpu", MEMORY, 2));
    try (DevicePool pool = new DevicePool(slots, Map.of(), 2)) {
      GenerationResult solo = pool.generate(job(A, "sort 4321:", 8)).get(60, TimeUnit.SECONDS);
      assertTrue(slots.get(0).holds(A) ^ slots.get(1).holds(A), "one copy after one request");
      LocalWorkerPool first = slots.get(0).holds(A) ? slots.get(0) : slots.get(1);
      pool.generate(job(A, "sort 4321:", 8)).get(60, TimeUnit.SECONDS);
      assertTrue(
          first.holds(A) && !(slots.get(0) == first ? slots.get(1) : slots.get(0)).holds(A),
          "an idle pool keeps the model where it is");
      List<CompletableFuture<GenerationResult>> burst = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        burst.add(pool.generate(job(A, "sort 4321:", 8)));
      }
      for (var f : burst) {
        assertArrayEquals(solo.completionIds(), f.get(120, TimeUnit.SECONDS).completionIds());
      }
      assertTrue(slots.get(0).holds(A) && slots.get(1).holds(A), "the burst loaded a second copy");
    }
  }

  /** A pinned model runs only on its devices; preloading puts it there before any request. */
  @Test
  void pinnedModelsRunOnlyOnTheirDevicesAndPreloadThere() throws Exception {
    LocalWorkerPool cpu = slot("cpu", MEMORY, 2);
    LocalWorkerPool gpu = slot("gpu0", MEMORY, 2);
    try (DevicePool pool = new DevicePool(List.of(cpu, gpu), Map.of("b", Set.of("gpu0")), 2)) {
      pool.preload(B).get(60, TimeUnit.SECONDS);
      assertTrue(gpu.holds(B) && !cpu.holds(B), "preloaded on its device");
      assertTrue(gpu.load().residentBytes().get("gpu0") > 0);
      List<CompletableFuture<GenerationResult>> many = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        many.add(pool.generate(job(B, "sort 21:", 4)));
      }
      CompletableFuture.allOf(many.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      assertFalse(cpu.holds(B), "never on the device it is not pinned to, however busy");
      assertEquals(
          Map.of("cpu", 0L, "gpu0", gpu.load().residentBytes().get("gpu0")),
          pool.load().residentBytes());
    }
  }

  /** Each slot has its own budget: a model too large for one slot runs on the other, or nowhere. */
  @Test
  void aModelGoesToASlotItFitsAndIsRefusedWhenItFitsNone() throws Exception {
    long footprint =
        ModelFootprint.of(LladaConfig.read(INSTRUCT), 2, StepBatcher.DEFAULT_MAX_LOGITS_VALUES)
            .bytes();
    LocalWorkerPool small = slot("cpu", footprint - 1, 2);
    LocalWorkerPool large = slot("gpu0", 2 * footprint, 2);
    try (DevicePool pool = new DevicePool(List.of(small, large), Map.of(), 2)) {
      assertEquals(4, pool.generate(job(A, "sort 1:", 4)).get(60, TimeUnit.SECONDS).steps());
      assertTrue(large.holds(A) && !small.holds(A));
    }
    try (DevicePool none =
        new DevicePool(
            List.of(slot("cpu", footprint - 1, 2), slot("cpu", footprint / 2, 2)), Map.of(), 2)) {
      assertThrows(ModelDoesNotFitException.class, () -> none.checkFits(A));
      ExecutionException e =
          assertThrows(ExecutionException.class, none.generate(job(A, "sort 1:", 4))::get);
      assertInstanceOf(ModelDoesNotFitException.class, e.getCause());
      ExecutionException p = assertThrows(ExecutionException.class, none.preload(A)::get);
      assertInstanceOf(ModelDoesNotFitException.class, p.getCause());
    }
  }

  /** Draining stops every slot taking work at once; what runs finishes. */
  @Test
  void drainingStopsEverySlot() throws Exception {
    List<LocalWorkerPool> slots = List.of(slot("cpu", MEMORY, 2), slot("cpu", MEMORY, 2));
    try (DevicePool pool = new DevicePool(slots, Map.of(), 2)) {
      var running = pool.generate(job(A, "sort 987:", 16));
      assertTrue(pool.drain(Duration.ofSeconds(60)));
      assertEquals(16, running.get(1, TimeUnit.SECONDS).steps());
      assertThrows(WorkerStoppingException.class, () -> pool.checkRoom("t"));
      ExecutionException e =
          assertThrows(ExecutionException.class, pool.generate(job(A, "sort 1:", 2))::get);
      assertInstanceOf(WorkerStoppingException.class, e.getCause());
    }
  }
}

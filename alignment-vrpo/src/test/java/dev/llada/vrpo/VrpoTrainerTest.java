package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.training.TrainingCheckpoints;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VRPO loop: exact resume after SIGKILL, cancellation, progress events, learning. */
class VrpoTrainerTest {

  @TempDir Path temp;

  /** Gold answers preferred to a distractor: a dataset any tokenizer of the zoo reads. */
  static Path pairs(Path dir, int n) throws Exception {
    List<String> lines = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(4);
    Gson gson = new Gson();
    for (int i = 0; lines.size() < n; i++) {
      Example e = Tasks.get(i % 2 == 0 ? "add3" : "sub2").next(r, false);
      JsonObject o = new JsonObject();
      o.addProperty("prompt", e.question());
      o.addProperty("chosen", e.answer());
      o.addProperty("rejected", e.distractors().get(0));
      lines.add(gson.toJson(o));
    }
    Path f = dir.resolve("pairs.jsonl");
    Files.write(f, lines, StandardCharsets.UTF_8);
    return f;
  }

  static Path recipe(Path dir, String name, int steps, String extraTrain) throws Exception {
    return recipe(dir, name, steps, extraTrain, "");
  }

  static Path recipe(Path dir, String name, int steps, String extraTrain, String extraVrpo)
      throws Exception {
    Path data = pairs(dir, 12);
    String json =
        "{\"name\":\""
            + name
            + "\",\"seed\":3,\"policy\":\""
            + ZooModels.INSTRUCT.toAbsolutePath()
            + "\",\"data\":\""
            + data
            + "\",\"output\":\""
            + dir.resolve(name)
            + "\",\"vrpo\":{\"n_t\":4,\"n_yt\":1"
            + extraVrpo
            + "},"
            + "\"train\":{\"steps\":"
            + steps
            + ",\"pairs_per_step\":3,\"grad_accum\":2,\"lr\":0.0005,\"warmup\":2,"
            + "\"checkpoint_every\":2,\"log_every\":1"
            + extraTrain
            + "}}";
    Path f = dir.resolve(name + ".json");
    Files.writeString(f, json, StandardCharsets.UTF_8);
    return f;
  }

  private static Process child(Path recipe) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.llada.vrpo.cli.VrpoCli",
            "vrpo",
            "--recipe",
            recipe.toString());
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.redirectErrorStream(true);
    pb.redirectOutput(recipe.resolveSibling(recipe.getFileName() + ".log").toFile());
    return pb.start();
  }

  /** The metrics rows without the timing fields, which differ between runs. */
  private static List<String> trace(Path metrics) throws Exception {
    List<String> rows = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonObject o = new Gson().fromJson(line, JsonObject.class);
      o.remove("elapsed_s");
      o.remove("tokens_per_s");
      rows.add(o.toString());
    }
    return rows;
  }

  @Test
  void aRunKilledWithSigkillResumesAndContinuesIdentically() throws Exception {
    Path whole = recipe(temp, "whole", 6, "");
    Process uninterrupted = child(whole);
    assertTrue(uninterrupted.waitFor(240, TimeUnit.SECONDS), "the whole run finished");
    assertEquals(0, uninterrupted.exitValue(), () -> log(whole));

    Path dir = Files.createDirectories(temp.resolve("killed-dir"));
    Path killed = recipe(dir, "whole", 6, "");
    Process first = child(killed);
    Path checkpoints = dir.resolve("whole").resolve("checkpoints");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (TrainingCheckpoints.latest(checkpoints) == null && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    first.destroyForcibly(); // SIGKILL: no shutdown hook runs
    first.waitFor(30, TimeUnit.SECONDS);
    Path at = TrainingCheckpoints.latest(checkpoints);
    assertNotNull(at, "a checkpoint was written before the kill");
    assertFalse(Files.exists(dir.resolve("whole").resolve("model.safetensors")), "killed early");

    Process resumed = child(killed);
    assertTrue(resumed.waitFor(240, TimeUnit.SECONDS));
    assertEquals(0, resumed.exitValue(), () -> log(killed));
    assertTrue(log(killed).contains("resuming from"), () -> log(killed));

    assertEquals(
        trace(temp.resolve("whole").resolve("metrics.jsonl")),
        trace(dir.resolve("whole").resolve("metrics.jsonl")));
    assertArrayEquals(
        Files.readAllBytes(temp.resolve("whole").resolve("model.safetensors")),
        Files.readAllBytes(dir.resolve("whole").resolve("model.safetensors")));
  }

  @Test
  void sigtermStopsTheRunWithACheckpointOfItsLastCompleteStep() throws Exception {
    Path recipe = recipe(temp, "term", 400, "");
    Process run = child(recipe);
    Path out = temp.resolve("term");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (TrainingCheckpoints.latest(out.resolve("checkpoints")) == null
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(700); // into a step that no checkpoint_every would save
    run.destroy(); // SIGTERM: the shutdown hook cancels the run
    assertTrue(run.waitFor(30, TimeUnit.SECONDS), "the run stopped promptly");
    assertTrue(log(recipe).contains("cancelled after step"), () -> log(recipe));
    List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
    int lastLogged =
        new Gson().fromJson(rows.get(rows.size() - 1), JsonObject.class).get("step").getAsInt();
    Path latest = TrainingCheckpoints.latest(out.resolve("checkpoints"));
    assertEquals(String.format("step-%07d", lastLogged), latest.getFileName().toString());
    assertFalse(Files.exists(out.resolve("model.safetensors")));
  }

  private static String log(Path recipe) {
    try {
      return Files.readString(recipe.resolveSibling(recipe.getFileName() + ".log"));
    } catch (Exception e) {
      return "(no log)";
    }
  }

  @Test
  void cancellationStopsAtAPairCheckpointsTheLastStepAndResumes() throws Exception {
    VrpoRecipe r = VrpoRecipe.read(recipe(temp, "cancel", 5, ""), temp);
    AtomicInteger asked = new AtomicInteger();
    List<VrpoTrainer.Progress> events = new ArrayList<>();
    // 6 pairs per step: stop during the fourth step
    VrpoTrainer.Result stopped =
        new VrpoTrainer(r, System.err, events::add, () -> asked.incrementAndGet() > 20).run();
    assertTrue(stopped.cancelled());
    assertEquals(3, stopped.lastStep());
    assertEquals(3, events.size());
    Path latest = TrainingCheckpoints.latest(r.output().resolve("checkpoints"));
    assertEquals("step-0000003", latest.getFileName().toString());

    VrpoTrainer.Result rest = new VrpoTrainer(r, System.err, events::add, () -> false).run();
    assertFalse(rest.cancelled());
    assertEquals(3, rest.firstStep());
    assertEquals(5, rest.lastStep());
    assertTrue(Files.exists(r.output().resolve("model.safetensors")));
    assertTrue(Files.exists(r.output().resolve("vrpo.json")));
    assertEquals(5, events.size());
    for (VrpoTrainer.Progress p : events) {
      assertTrue(Double.isFinite(p.loss()) && p.loss() > 0, p.toString());
      assertTrue(p.preferenceAccuracy() >= 0 && p.preferenceAccuracy() <= 1);
      assertTrue(p.scoreVariance() >= 0, "n_t = 4 gives a variance estimate");
      assertTrue(p.tokens() > 0 && p.tokensPerSecond() > 0);
    }
    assertEquals(5, events.get(4).step());
    assertEquals(5, Files.readAllLines(r.output().resolve("metrics.jsonl")).size());
  }

  @Test
  void trainingRaisesTheMarginOnItsPairs() throws Exception {
    VrpoRecipe r = VrpoRecipe.read(recipe(temp, "learn", 12, ""), temp);
    List<VrpoTrainer.Progress> events = new ArrayList<>();
    new VrpoTrainer(r, System.err, events::add, () -> false).run();
    // policy = reference at step 1: the antithetic score is 0 (up to float32 rounding: the
    // policy's forward runs with autograd on)
    assertEquals(0, events.get(0).rewardMargin(), 1e-4);
    assertEquals(0, events.get(0).klToReference(), 1e-4);
    double late = 0;
    for (VrpoTrainer.Progress p : events.subList(8, 12)) {
      late += p.rewardMargin() / 4;
    }
    assertTrue(late > 0.05, "the reward margin grows: " + late);
  }

  @Test
  void aRunOnPrecomputedReferenceElbosTrainsTheSameModel() throws Exception {
    VrpoRecipe live = VrpoRecipe.read(recipe(temp, "live", 4, ""), temp);
    VrpoRecipe pre =
        VrpoRecipe.read(recipe(temp, "pre", 4, "", ",\"precompute_reference\":true"), temp);
    List<VrpoTrainer.Progress> a = new ArrayList<>();
    List<VrpoTrainer.Progress> b = new ArrayList<>();
    new VrpoTrainer(live, System.err, a::add, () -> false).run();
    new VrpoTrainer(pre, System.err, b::add, () -> false).run(2); // killed after 2 steps
    assertTrue(Files.exists(pre.output().resolve(PrecomputedReference.FILE)));
    new VrpoTrainer(pre, System.err, b::add, () -> false).run(); // resumes on the stored table
    assertEquals(4, b.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(a.get(i).loss(), b.get(i).loss(), "step " + (i + 1));
      assertEquals(a.get(i).rewardMargin(), b.get(i).rewardMargin());
      assertEquals(a.get(i).klToReference(), b.get(i).klToReference());
      assertEquals(a.get(i).tokens(), 2 * b.get(i).tokens(), "no reference forward in training");
    }
    assertArrayEquals(
        Files.readAllBytes(live.output().resolve("model.safetensors")),
        Files.readAllBytes(pre.output().resolve("model.safetensors")));
  }

  @Test
  void aChangedDatasetIsNotResumed() throws Exception {
    VrpoRecipe r = VrpoRecipe.read(recipe(temp, "changed", 4, ""), temp);
    new VrpoTrainer(r, System.err, p -> {}, () -> false).run(2);
    assertNotNull(TrainingCheckpoints.latest(r.output().resolve("checkpoints")));
    List<String> lines = new ArrayList<>(Files.readAllLines(r.data()));
    lines.remove(0);
    Files.write(r.data(), lines);
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () -> new VrpoTrainer(r, System.err, p -> {}, () -> false).run());
    assertTrue(e.getMessage().contains("the dataset changed"), e.getMessage());
  }
}

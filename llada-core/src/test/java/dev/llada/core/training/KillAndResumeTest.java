package dev.llada.core.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/llada train} in its own JVM, killed with SIGKILL after a checkpoint and started again:
 * the resumed run logs the same losses as a run that was never interrupted.
 */
class KillAndResumeTest {

  @TempDir Path temp;

  private static final String RECIPE =
      """
      {"name": "kill", "objective": "pretrain", "seed": 5, "output": "%s",
       "model": {"d_model": 32, "n_heads": 4, "n_layers": 2, "mlp_hidden_size": 64, "max_sequence_length": 96},
       "tasks": {"add2": 1, "reverse": 1},
       "train": {"steps": 60, "batch_size": 8, "lr": 0.003, "warmup": 5, "checkpoint_every": 10, "log_every": 1}}
      """;

  @Test
  void sigkillAfterACheckpointThenRestartGivesTheUninterruptedCurve() throws Exception {
    Path reference = temp.resolve("reference.json");
    Files.writeString(reference, RECIPE.formatted("uninterrupted"));
    new Trainer(Recipe.read(reference, temp), new PrintStream(new ByteArrayOutputStream())).run();
    Map<Integer, Double> expected = losses(temp.resolve("uninterrupted/metrics.jsonl"));

    Path recipe = temp.resolve("killed.json");
    Files.writeString(recipe, RECIPE.formatted("killed"));
    List<String> command =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true",
            "-Dai.djl.pytorch.num_threads=1",
            "-cp",
            System.getProperty("java.class.path"),
            "dev.llada.core.cli.LladaCli",
            "train",
            "--recipe",
            recipe.toString(),
            "--base-dir",
            temp.toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("OMP_NUM_THREADS", "1");
    builder.redirectOutput(temp.resolve("train.log").toFile());
    Process process = builder.start();
    Path marker = temp.resolve("killed/checkpoints/step-0000020/COMPLETE");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(marker) && process.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(
        Files.exists(marker),
        "checkpoint 20 written: " + Files.readString(temp.resolve("train.log")));
    process
        .destroyForcibly()
        .waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook, no goodbye
    assertTrue(!Files.exists(temp.resolve("killed/model.safetensors")), "killed before the end");

    Trainer.Result resumed =
        new Trainer(Recipe.read(recipe, temp), new PrintStream(new ByteArrayOutputStream())).run();
    assertTrue(resumed.firstStep() >= 20, "resumed from a checkpoint, step " + resumed.firstStep());
    Map<Integer, Double> after = losses(temp.resolve("killed/metrics.jsonl"));
    for (int step = resumed.firstStep() + 1; step <= 60; step++) {
      assertEquals(expected.get(step), after.get(step), "step " + step);
    }
  }

  private static Map<Integer, Double> losses(Path metrics) throws Exception {
    Map<Integer, Double> byStep = new LinkedHashMap<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      byStep.put(o.get("step").getAsInt(), o.get("loss").getAsDouble());
    }
    return byStep;
  }
}

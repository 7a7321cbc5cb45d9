package dev.llada.core.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

  @TempDir Path temp;

  static String recipe(
      String name, String objective, String output, String init, double lr, int steps) {
    return """
        {"name": "%s", "objective": "%s", "seed": 3, "output": "%s", "init": %s,
         "model": {"d_model": 32, "n_heads": 4, "n_layers": 2, "mlp_hidden_size": 64, "max_sequence_length": 96},
         "tasks": {"add2": 1, "sort": 1},
         "train": {"steps": %d, "batch_size": 8, "lr": %s, "warmup": 2, "schedule": "wsd",
                   "decay_fraction": 0.25, "clip": 1.0, "checkpoint_every": 4, "log_every": 1}}
        """
        .formatted(name, objective, output, init == null ? "null" : "\"" + init + "\"", steps, lr);
  }

  private Recipe write(String json) throws Exception {
    Path file = Files.createTempFile(temp, "recipe", ".json");
    Files.writeString(file, json);
    return Recipe.read(file, temp);
  }

  private static Map<Integer, Double> losses(Path metrics) throws Exception {
    Map<Integer, Double> byStep = new LinkedHashMap<>();
    for (String line : Files.readAllLines(metrics)) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      byStep.put(
          o.get("step").getAsInt(), o.get("loss").getAsDouble()); // a resumed step overwrites
    }
    return byStep;
  }

  @Test
  void aKilledRunResumesToTheIdenticalLossCurve() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    Recipe full = write(recipe("full", "pretrain", "full", null, 3e-3, 12));
    new Trainer(full, quiet).run();
    Map<Integer, Double> reference = losses(temp.resolve("full/metrics.jsonl"));
    assertEquals(12, reference.size());
    assertTrue(reference.get(12) < reference.get(1), "the loss goes down: " + reference);

    Recipe killed = write(recipe("full", "pretrain", "killed", null, 3e-3, 12));
    Trainer.Result first =
        new Trainer(killed, quiet).run(6); // killed after step 6; newest checkpoint: 4
    assertEquals(6, first.lastStep());
    assertNotNull(Trainer.latestCheckpoint(temp.resolve("killed/checkpoints")));
    Trainer.Result resumed = new Trainer(killed, quiet).run();
    assertEquals(4, resumed.firstStep(), "resumed from the step-4 checkpoint");
    Map<Integer, Double> after = losses(temp.resolve("killed/metrics.jsonl"));
    for (int step = 5; step <= 12; step++) {
      assertEquals(reference.get(step), after.get(step), "step " + step);
    }
    assertTrue(Files.exists(temp.resolve("killed/model.safetensors")));
  }

  /** With gradient accumulation the logged loss is divided like the gradient: the micro mean. */
  @Test
  void theLoggedLossIsTheMeanOfTheMicroBatchesWithGradientAccumulation() throws Exception {
    String json =
        recipe("accum", "pretrain", "accum", null, 3e-3, 3)
            .replace("\"tasks\": {\"add2\": 1, \"sort\": 1}", "\"tasks\": {\"add2\": 1}")
            .replace("\"steps\": 3,", "\"steps\": 3, \"grad_accum\": 2,");
    assertTrue(json.contains("\"grad_accum\": 2"), json);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    new Trainer(write(json), quiet).run();
    for (String line : Files.readAllLines(temp.resolve("accum/metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      double micro = o.getAsJsonObject("task_loss").get("add2").getAsDouble();
      assertEquals(micro, o.get("loss").getAsDouble(), 1e-6 * micro, line);
    }
  }

  @Test
  void sftStartsFromTheBaseModelAndTheResultServes() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    new Trainer(write(recipe("base", "pretrain", "base", null, 3e-3, 4)), quiet).run();
    Trainer.Result sft =
        new Trainer(write(recipe("inst", "sft", "inst", "base", 3e-3, 4)), quiet).run();
    try (DjlMaskPredictor model = DjlMaskPredictor.load(sft.model(), "cpu")) {
      int[] out =
          new ReferenceSampler(
                  model, SpecialTokens.of(model.config(), model.config().vocabSize() - 1))
              .generate(
                  new int[][] {{1, 2, 3}},
                  null,
                  new SamplingConfig(4, 4, 4, 0, 0, Remasking.LOW_CONFIDENCE, false, false),
                  new SplittableRandom(1),
                  e -> {})
              .completion(0);
      assertEquals(4, out.length);
    }
    assertTrue(
        Files.exists(sft.model().resolve("tokenizer.json")), "tokenizer copied from the base");
  }

  @Test
  void aDivergingRunStopsAndKeepsTheLastGoodCheckpoint() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    String json =
        // decay factor 1 - lr*wd = -99 per step: weights overflow float32 within a few dozen steps
        recipe("nan", "pretrain", "nan", null, 10, 60)
            .replace("\"clip\": 1.0", "\"clip\": 0, \"weight_decay\": 10");
    TrainingDivergedException e =
        assertThrows(TrainingDivergedException.class, () -> new Trainer(write(json), quiet).run());
    assertTrue(e.getMessage().contains("stopped at step"), e.getMessage());
    assertTrue(
        !Files.exists(temp.resolve("nan/model.safetensors")), "no final model from a diverged run");
  }

  @Test
  void badRecipesFailAtOnceWithTheField() throws Exception {
    assertBad(
        "missing field \"objective\"",
        recipe("x", "pretrain", "o", null, 1e-3, 4).replace("\"objective\": \"pretrain\",", ""));
    assertBad("\"objective\" must be", recipe("x", "finetune", "o", null, 1e-3, 4));
    assertBad("an sft recipe needs \"init\"", recipe("x", "sft", "o", null, 1e-3, 4));
    assertBad(
        "unknown task 'poems'",
        recipe("x", "pretrain", "o", null, 1e-3, 4).replace("\"add2\"", "\"poems\""));
    assertBad("\"steps\" must be a positive integer", recipe("x", "pretrain", "o", null, 1e-3, 0));
    assertBad("\"lr\" must be in", recipe("x", "pretrain", "o", null, -1, 4));
    assertBad(
        "must split into n_heads",
        recipe("x", "pretrain", "o", null, 1e-3, 4).replace("\"n_heads\": 4", "\"n_heads\": 5"));
    assertBad("is not a JSON object", "[1,2]");
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Trainer(
                        write(
                            recipe("x", "pretrain", "short", null, 1e-3, 2)
                                .replace(
                                    "\"max_sequence_length\": 96", "\"max_sequence_length\": 8")),
                        System.err)
                    .run());
    assertTrue(
        tooLong.getMessage().contains("more than model.max_sequence_length 8"),
        tooLong.getMessage());
  }

  @Test
  void theNewestCheckpointExportsAsTheModelOfItsStep() throws Exception {
    Recipe r = write(recipe("x", "pretrain", "export-run", null, 1e-3, 4));
    new Trainer(r, System.err).run(); // checkpoints at step 4, then the final model of step 4
    Path exported = temp.resolve("exported");
    assertEquals(4, new Trainer(r, System.err).exportLatest(exported));
    try (var a = dev.llada.core.weights.Checkpoint.open(temp.resolve("export-run"));
        var b = dev.llada.core.weights.Checkpoint.open(exported)) {
      for (String name :
          List.of(
              dev.llada.core.model.LladaNames.WTE,
              dev.llada.core.model.LladaNames.block(1, "q_proj"),
              dev.llada.core.model.LladaNames.block(0, "up_proj"))) {
        assertArrayEquals(a.readFloats(name), b.readFloats(name), name);
      }
    }
    assertTrue(Files.isRegularFile(exported.resolve("tokenizer.json")));
    for (String line : Files.readAllLines(temp.resolve("export-run/metrics.jsonl"))) {
      JsonObject taskLoss =
          JsonParser.parseString(line).getAsJsonObject().getAsJsonObject("task_loss");
      assertTrue(taskLoss.size() >= 1, "each row has the loss of its tasks: " + line);
      taskLoss.keySet().forEach(t -> assertTrue(t.equals("add2") || t.equals("sort"), t));
    }
    Recipe none = write(recipe("y", "pretrain", "never-ran", null, 1e-3, 4));
    assertThrows(
        IllegalArgumentException.class, () -> new Trainer(none, System.err).exportLatest(exported));
  }

  @Test
  void batchTokensSizesMicroBatchesByTheirCanvas() throws Exception {
    Recipe plain = write(recipe("x", "pretrain", "o", null, 1e-3, 4));
    assertEquals(0, plain.train().batchTokens());
    assertEquals(plain.train().batchSize(), plain.train().rows(1000), "batch_size without it");
    Recipe byTokens =
        write(
            recipe("x", "pretrain", "o", null, 1e-3, 4)
                .replace("\"batch_size\":", "\"batch_tokens\": 1000, \"batch_size\":"));
    assertEquals(8, byTokens.train().rows(100), "at most batch_size rows");
    assertEquals(5, byTokens.train().rows(200));
    assertEquals(1, byTokens.train().rows(5000), "at least one row");
    assertBad(
        "\"batch_tokens\" must be a positive integer",
        recipe("x", "pretrain", "o", null, 1e-3, 4)
            .replace("\"batch_size\":", "\"batch_tokens\": 0, \"batch_size\":"));
  }

  private void assertBad(String message, String json) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> write(json));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }

  @Test
  void scheduleWarmsUpHoldsAndDecays() {
    LearningRateSchedule wsd = new LearningRateSchedule(1.0, 4, 20, "wsd", 0.25, 0.1);
    assertEquals(0.25, wsd.at(0), 1e-12);
    assertEquals(1.0, wsd.at(3), 1e-12);
    assertEquals(1.0, wsd.at(14), 1e-12);
    assertEquals(0.1, wsd.at(19), 1e-12);
    assertTrue(wsd.at(17) < 1.0 && wsd.at(17) > 0.1);
    LearningRateSchedule cosine = new LearningRateSchedule(1.0, 0, 10, "cosine", 0, 0);
    assertEquals(1.0, cosine.at(0), 1e-12);
    assertEquals(0.5, cosine.at(5), 1e-12);
    List.of(1, 2, 3).forEach(s -> assertTrue(cosine.at(s) <= cosine.at(s - 1)));
  }

  @Test
  void anMoeTrainsWithRouterLossesResumesExactlyAndWritesThePublishedLayout() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    String moe =
        recipe("moe", "sft", "moe", null, 3e-3, 8)
            .replace("\"seed\": 3,", "\"seed\": 3, \"from_scratch\": true,")
            .replace(
                "\"mlp_hidden_size\": 64,",
                "\"mlp_hidden_size\": 16, \"moe\": {\"experts\": 4, \"top_k\": 2},");
    Recipe full = write(moe);
    new Trainer(full, quiet).run();
    Path out = temp.resolve("moe");
    // the published LLaDA-MoE layout, readable by the loader
    String config = Files.readString(out.resolve("config.json"));
    assertTrue(config.contains("\"model_type\": \"lladamoe\""), config);
    try (dev.llada.core.weights.Checkpoint c = dev.llada.core.weights.Checkpoint.open(out)) {
      assertTrue(c.contains("model.layers.1.mlp.experts.3.down_proj.weight"));
      assertTrue(c.contains("model.layers.0.self_attn.k_norm.weight"));
    }
    try (DjlMaskPredictor model = DjlMaskPredictor.load(out, "cpu")) {
      assertEquals(4, model.config().moe().experts());
    }
    // the metrics carry the router losses and the expert loads of every layer
    List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
    JsonObject last = JsonParser.parseString(rows.get(rows.size() - 1)).getAsJsonObject();
    assertTrue(last.get("router_balance_loss").getAsDouble() >= 1.0, last.toString()); // ≥ k·(1/k)
    assertTrue(last.get("router_z_loss").getAsDouble() > 0, last.toString());
    assertEquals(2, last.getAsJsonArray("expert_load").size());
    assertEquals(4, last.getAsJsonArray("expert_load").get(0).getAsJsonArray().size());
    // a kill after step 5 and a resume give the same losses (router losses in the gradient too)
    Recipe killed = write(moe.replace("\"output\": \"moe\"", "\"output\": \"moe-killed\""));
    new Trainer(killed, quiet).run(5);
    new Trainer(killed, quiet).run();
    assertEquals(
        losses(out.resolve("metrics.jsonl")),
        losses(temp.resolve("moe-killed").resolve("metrics.jsonl")));
  }

  @Test
  void anMoeInitMustMatchTheRecipesRoutingAndItsScoreBiasStaysFrozen() throws Exception {
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    String moe =
        recipe("moe-init", "sft", "moe-init", null, 3e-3, 2)
            .replace("\"seed\": 3,", "\"seed\": 3, \"from_scratch\": true,")
            .replace(
                "\"mlp_hidden_size\": 64,",
                "\"mlp_hidden_size\": 16, \"moe\": {\"experts\": 4, \"top_k\": 2},");
    new Trainer(write(moe), quiet).run();
    String mismatched =
        moe.replace("\"from_scratch\": true,", "")
            .replace("\"init\": null", "\"init\": \"moe-init\"")
            .replace("\"output\": \"moe-init\"", "\"output\": \"moe-ft\"")
            .replace("\"top_k\": 2", "\"top_k\": 1");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new Trainer(write(mismatched), quiet).run());
    assertTrue(e.getMessage().contains("does not match the init model"), e.getMessage());
    // an MoE router's score bias is a buffer: AdamW leaves it as it is
    dev.llada.core.config.LladaConfig c =
        new dev.llada.core.config.LladaConfig(
            16,
            2,
            2,
            1,
            8,
            40,
            40,
            1e4,
            1e-5,
            32,
            39,
            38,
            38,
            true,
            new dev.llada.core.config.MoeSpec(4, 2, 8, false, true, 0.01, 0.001));
    try (dev.llada.core.model.LladaNetwork network =
        dev.llada.core.model.LladaNetwork.initialize(c, ai.djl.Device.cpu(), 1)) {
      var params = network.parameters();
      assertEquals(java.util.Set.of("model.layers.0.mlp.expert_bias"), network.buffers());
      params.forEach((name, p) -> p.setRequiresGradient(!network.buffers().contains(name)));
      AdamW adam =
          new AdamW(params, 0.9, 0.95, 0.1, AdamW.decayedMatrices(params))
              .freeze(network.buffers());
      float[] bias = params.get("model.layers.0.mlp.expert_bias").toFloatArray();
      float[] gate = params.get("model.layers.0.mlp.gate.weight").toFloatArray();
      try (ai.djl.ndarray.NDManager m = network.manager().newSubManager();
          ai.djl.training.GradientCollector gc =
              ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
        ai.djl.ndarray.NDArray ids =
            m.create(new long[] {1, 5, 9, 30}, new ai.djl.ndarray.types.Shape(1, 4));
        gc.backward(network.forward(ids, null, 0, 4).square().sum());
      }
      adam.update(params, 1e-2, 1, 1.0, n -> {});
      assertArrayEquals(bias, params.get("model.layers.0.mlp.expert_bias").toFloatArray());
      assertTrue(
          !java.util.Arrays.equals(
              gate, params.get("model.layers.0.mlp.gate.weight").toFloatArray()),
          "the router itself trains");
    }
  }
}

package dev.llada.core.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.Logits;
import dev.llada.core.model.TinyModels;
import dev.llada.core.tokenizer.ByteLevelTokenizerWriter;
import dev.llada.core.tokenizer.SpecialTokenNames;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/llada} on a tiny random model with a byte-level tokenizer. */
class LladaCliTest {

  @TempDir static Path temp;
  static Path model;
  static LladaConfig config;

  record Result(int code, String out, String err) {}

  @BeforeAll
  static void tinyModel() throws Exception {
    model = temp.resolve("tiny");
    Map<String, Integer> ids = ByteLevelTokenizerWriter.write(model, List.of());
    int vocab = 256 + ids.size();
    config =
        new LladaConfig(
            32,
            4,
            4,
            2,
            48,
            vocab,
            vocab,
            10000.0,
            1e-5,
            512,
            ids.get(SpecialTokenNames.MASK),
            ids.get(SpecialTokenNames.EOS),
            ids.get(SpecialTokenNames.EOS));
    TinyModels.write(model, config, 13, DType.F32, 0);
  }

  static Result run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        LladaCli.run(
            args,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void benchSamplerRunsTheLadderResumablyAndRefusesBadOptions() throws Exception {
    Path results = temp.resolve("ladder.jsonl");
    String[] args = {
      "bench",
      "--sampler",
      "--model",
      model.toString(),
      "--tasks",
      "t1-add@64",
      "--n",
      "2",
      "--methods",
      "B0,ours",
      "--results",
      results.toString(),
      "--batch-sizes",
      "1,2"
    };
    Result first = run("", args);
    assertEquals(0, first.code(), first.err());
    assertTrue(first.out().contains("| B0 | 2 |"), first.out());
    assertTrue(first.out().contains("| ours | 2 |"), first.out());
    assertTrue(first.out().contains("Batch scaling"), first.out());
    assertEquals(4, java.nio.file.Files.readAllLines(results).size(), "2 items x 2 methods");
    assertTrue(first.err().contains("[ladder] t1-add@64 ours: 2 items"), first.err());
    Result again = run("", args);
    assertEquals(0, again.code(), again.err());
    assertEquals(4, java.nio.file.Files.readAllLines(results).size(), "resumed: nothing rerun");
    assertFalse(again.err().contains("[ladder]"), again.err());
    Result unknown =
        run(
            "",
            "bench",
            "--sampler",
            "--model",
            model.toString(),
            "--tasks",
            "t1-add@64",
            "--methods",
            "warp");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("unknown method 'warp'"), unknown.err() + unknown.out());
    Result noModel = run("", "bench", "--sampler", "--tasks", "t1-add@64");
    assertEquals(2, noModel.code());
    assertTrue(noModel.err().contains("--sampler needs --model and --tasks"), noModel.err());
  }

  @Test
  void inspectShowsConfigParametersAndTensors() {
    Result r = run("", "inspect", "--model", model.toString(), "--tensors");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("2 layers, d_model 32"), r.out());
    assertTrue(r.out().contains(String.format("%,d", config.parameterCount())), r.out());
    assertTrue(r.out().contains("model.transformer.blocks.1.ff_out.weight"), r.out());
    JsonObject json =
        JsonParser.parseString(run("", "inspect", "--model", model.toString(), "--json").out())
            .getAsJsonObject();
    assertEquals(config.parameterCount(), json.get("parameters").getAsLong());
    assertEquals(21, json.get("tensor_count").getAsInt());
  }

  @Test
  void generateJsonReportsIdsTextNfeAndTime() {
    Result r =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "hello",
            "--prompt",
            "a much longer prompt",
            "--gen-length",
            "8",
            "--steps",
            "4",
            "--block-length",
            "4",
            "--json",
            "--trace");
    assertEquals(0, r.code(), r.err());
    JsonObject json = JsonParser.parseString(r.out()).getAsJsonObject();
    assertEquals(2, json.getAsJsonArray("output_ids").size());
    assertEquals(8, json.getAsJsonArray("output_ids").get(0).getAsJsonArray().size());
    assertEquals(
        "hello".length(), json.getAsJsonArray("prompt_ids").get(0).getAsJsonArray().size());
    assertEquals(4, json.get("nfe").getAsInt());
    assertEquals(4, json.getAsJsonArray("trace").size());
    assertTrue(json.get("wall_ms").getAsDouble() > 0);
    assertEquals(2, json.getAsJsonArray("text").size());
    // T=0: the same command gives the same tokens
    Result again =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--prompt",
            "hello",
            "--prompt",
            "a much longer prompt",
            "--gen-length",
            "8",
            "--steps",
            "4",
            "--block-length",
            "4",
            "--json");
    assertEquals(
        json.getAsJsonArray("output_ids"),
        JsonParser.parseString(again.out()).getAsJsonObject().getAsJsonArray("output_ids"));
    Result ids =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1,2,3",
            "--gen-length",
            "4",
            "--steps",
            "2",
            "--chat");
    assertEquals(0, ids.code(), ids.err());
  }

  @Test
  void generateComputesInBf16OnRequestAndRefusesOtherTypes() {
    Result bf16 =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1,2,3",
            "--gen-length",
            "8",
            "--steps",
            "4",
            "--dtype",
            "bf16",
            "--json");
    assertEquals(0, bf16.code(), bf16.err());
    JsonObject json = JsonParser.parseString(bf16.out()).getAsJsonObject();
    assertEquals(8, json.getAsJsonArray("output_ids").get(0).getAsJsonArray().size());
    Result f16 = run("", "generate", "--model", model.toString(), "--ids", "1", "--dtype", "f16");
    assertEquals(2, f16.code(), f16.err());
    assertTrue(f16.err().contains("dtype must be f32 or bf16, got 'f16'"), f16.err());
  }

  @Test
  void logitsWritesTheFullTensorForCrossChecks() throws Exception {
    Path out = temp.resolve("logits.safetensors");
    Result r =
        run(
            "",
            "logits",
            "--model",
            model.toString(),
            "--ids",
            "5,6,7,258",
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    try (SafetensorsFile file = SafetensorsFile.open(out);
        DjlMaskPredictor p = DjlMaskPredictor.load(model, "cpu")) {
      assertEquals(
          List.of(1L, 4L, (long) config.embeddingSize()),
          java.util.Arrays.stream(file.info("logits").shape()).boxed().toList());
      try (Logits expected = p.logits(new int[][] {{5, 6, 7, 258}}, null, 0, 4)) {
        assertTrue(java.util.Arrays.equals(expected.toArray(), file.readFloats("logits")));
      }
    }
  }

  @Test
  void loglikAndChat() {
    Result ll =
        run(
            "",
            "loglik",
            "--model",
            model.toString(),
            "--context",
            "The sky is ",
            "--continuation",
            "blue",
            "--mc-num",
            "8",
            "--batch-size",
            "4",
            "--json");
    assertEquals(0, ll.code(), ll.err());
    JsonObject json = JsonParser.parseString(ll.out()).getAsJsonObject();
    assertTrue(json.get("loglik").getAsDouble() < 0);
    assertEquals(
        5,
        json.get("continuation_tokens").getAsInt(),
        "' blue': the context's trailing space moved over");
    Result chat =
        run(
            "hi\nhow are you\n/reset\nagain\n/exit\n",
            "chat",
            "--model",
            model.toString(),
            "--gen-length",
            "4",
            "--steps",
            "2");
    assertEquals(0, chat.code(), chat.err());
    assertTrue(chat.out().contains("(history cleared)"), chat.out());
    assertEquals(
        5, chat.out().split("> ", -1).length - 1, "a prompt per input line: " + chat.out());
  }

  @Test
  void everyCommandPrintsItsUsageOnHelpWithoutWarnings() {
    Result top = run("", "--help");
    assertEquals(0, top.code(), top.err());
    assertTrue(top.out().startsWith("Usage: llada"), top.out());
    assertFalse((top.out() + top.err()).contains("picocli"), "no picocli warning: " + top.err());
    for (String command :
        List.of(
            "inspect",
            "generate",
            "chat",
            "loglik",
            "logits",
            "bench",
            "train",
            "eval",
            "eval-vision")) {
      Result help = run("", command, "--help");
      assertEquals(0, help.code(), command + ": " + help.err());
      assertTrue(help.out().startsWith("Usage: llada " + command), help.out());
      assertFalse(help.err().contains("Missing required option"), help.err());
    }
    assertTrue(
        run("", "loglik", "--help").out().contains("leading"),
        "loglik says the continuation is appended as is");
  }

  @Test
  void generateRunsTheFastSamplerOnRequestAndSaysWhichRan() {
    Result fast =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1,2,3",
            "--gen-length",
            "16",
            "--steps",
            "16",
            "--block-length",
            "8",
            "--sampler",
            "fast",
            "--threshold",
            "0.01",
            "--json");
    assertEquals(0, fast.code(), fast.err());
    JsonObject json = JsonParser.parseString(fast.out()).getAsJsonObject();
    assertEquals("fast", json.get("sampler").getAsString());
    assertEquals("fast(tau=0.01+dual+inc+stop)", json.get("method").getAsString());
    assertTrue(json.get("nfe").getAsInt() < 16, "a low threshold commits several a step: " + json);
    long queried = json.get("query_positions").getAsLong();
    assertTrue(
        queried > 0 && queried <= 19L * json.get("nfe").getAsInt(),
        "no forward computes more than the canvas of 3 + 16: " + json);
    Result badCache =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1",
            "--sampler",
            "fast",
            "--cache",
            "full");
    assertEquals(2, badCache.code());
    assertTrue(badCache.err().contains("none, prefix or dual"), badCache.err());
    Result badRefresh =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1",
            "--sampler",
            "fast",
            "--cache",
            "none",
            "--refresh",
            "incremental");
    assertEquals(2, badRefresh.code());
    assertTrue(badRefresh.err().contains("--refresh incremental needs a cache"), badRefresh.err());
    Result cacheWithoutFast =
        run("", "generate", "--model", model.toString(), "--ids", "1", "--cache", "dual");
    assertEquals(2, cacheWithoutFast.code());
    assertTrue(cacheWithoutFast.err().contains("need --sampler fast"), cacheWithoutFast.err());
    Result bad = run("", "generate", "--model", model.toString(), "--ids", "1", "--factor", "1");
    assertEquals(2, bad.code());
    assertTrue(bad.err().contains("need --sampler fast"), bad.err());
    Result both =
        run(
            "",
            "generate",
            "--model",
            model.toString(),
            "--ids",
            "1",
            "--sampler",
            "fast",
            "--factor",
            "1",
            "--threshold",
            "0.9");
    assertEquals(2, both.code());
    assertTrue(both.err().contains("not both"), both.err());
  }

  @Test
  void chatDropsItsOldestTurnsPastTheContextAndRefusesAnOverlongMessage() {
    Result chat =
        run(
            "a fairly long first message to fill the context\nsecond message that is long too\n"
                + "x".repeat(600)
                + "\nthird\n/exit\n",
            "chat",
            "--model",
            model.toString(),
            "--gen-length",
            "400",
            "--steps",
            "2",
            "--block-length",
            "400");
    assertEquals(0, chat.code(), chat.err());
    assertTrue(chat.out().contains("(history truncated: the oldest"), chat.out());
    assertTrue(chat.out().contains("(not sent: the message is"), chat.out());
  }

  @Test
  void benchReportsForwardAndGemmRatesInOneRun() {
    Result r =
        run(
            "",
            "bench",
            "--d-model",
            "32",
            "--heads",
            "4",
            "--layers",
            "2",
            "--mlp",
            "48",
            "--vocab",
            "64",
            "--length",
            "16",
            "--gemm",
            "64",
            "--iters",
            "3",
            "--warmup",
            "1",
            "--parts",
            "--json");
    assertEquals(0, r.code(), r.err());
    JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
    for (String key :
        List.of(
            "part_qkv_ms_min",
            "part_attention_ratio_at_min",
            "part_lm_head_gflops_at_min",
            "parts_only_ratio_at_min",
            "parts_only_ratio_paired_median",
            "torchscript_ms_min",
            "torchscript_steady_ratio_paired_median",
            "gemm_64_steady_ms_min",
            "gemm_64_gflops_at_min",
            "torchscript_ratio_at_min",
            "torchscript_ratio_paired_median",
            "ops_ratio_paired_median",
            "torchscript_ratio_to_forward_shape_gemm_at_min")) {
      double v = o.get(key).getAsDouble();
      assertTrue(v > 0 && Double.isFinite(v), key + " = " + v);
    }
    assertTrue(o.get("mkl_packed").getAsBoolean(), "a loaded CPU model runs on packed weights");
    assertTrue(o.get("parts_mkl_packed").getAsBoolean(), "the parts run as the packed forward");
    // the parts are exactly the forward's products: their FLOPs, times their counts, add up
    assertEquals(o.get("forward_gflop").getAsDouble(), o.get("parts_gflop").getAsDouble(), 1e-12);
    assertEquals(2, o.get("part_ff_out_per_forward").getAsInt(), "one per layer");
    assertEquals(1, o.get("part_lm_head_per_forward").getAsInt());
  }

  @Test
  void badInputIsOneLineAndANonZeroExit() throws Exception {
    assertFails(2, "--warmup and --block >= 0", "bench", "--block", "-1");
    assertFails(
        2,
        "gen_length (10) must be divisible by block_length (4)",
        "generate",
        "--model",
        model.toString(),
        "--ids",
        "1",
        "--gen-length",
        "10",
        "--block-length",
        "4",
        "--steps",
        "5");
    assertFails(
        2,
        "remasking must be low_confidence or random",
        "generate",
        "--model",
        model.toString(),
        "--ids",
        "1",
        "--remasking",
        "greedy");
    assertFails(
        2,
        "token id 99999 is outside the vocabulary",
        "logits",
        "--model",
        model.toString(),
        "--ids",
        "1,99999",
        "--out",
        "x");
    assertFails(2, "Missing required option: '--model=DIR'", "inspect");
    assertFails(
        2,
        "Unknown option",
        "generate",
        "--model",
        model.toString(),
        "--ids",
        "1",
        "--temprature",
        "1");
    assertFails(3, "is not a directory", "inspect", "--model", temp.resolve("nowhere").toString());
    Path broken = temp.resolve("broken");
    Files.createDirectories(broken);
    Files.copy(model.resolve("config.json"), broken.resolve("config.json"));
    Files.write(broken.resolve("model.safetensors"), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
    assertFails(3, "declares a header", "inspect", "--model", broken.toString());
    Path wrongShape = temp.resolve("wrong-shape");
    TinyModels.write(
        wrongShape, TinyModels.config(32, 4, 4, 2, 64, config.vocabSize()), 1, DType.F32, 0);
    Files.writeString(wrongShape.resolve("config.json"), config.toJson().toString());
    assertFails(
        3,
        "config.json implies",
        "generate",
        "--model",
        wrongShape.toString(),
        "--ids",
        "1",
        "--gen-length",
        "2",
        "--steps",
        "2");
  }

  private static void assertFails(int code, String message, String... args) {
    Result r = run("", args);
    assertEquals(code, r.code(), r.out() + r.err());
    assertTrue(r.err().contains(message), r.err());
    assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
    assertFalse(r.err().contains("Exception"), r.err());
  }
}

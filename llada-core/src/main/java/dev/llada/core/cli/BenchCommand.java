package dev.llada.core.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.ForwardParts;
import dev.llada.core.model.MklCodePath;
import dev.llada.core.model.PlainGemm;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Forward-pass throughput against a plain GEMM measured in the same process, same threads, same run
 * (docs/BENCHMARKS.md): a random model of the given shape, B × L tokens, full logits. Two
 * protocols: interleaved rounds (each forward after other models and GEMMs, which may have evicted
 * its weights from the caches) and a steady state (blocks of back-to-back calls, as in a denoising
 * loop).
 */
@Command(
    name = "bench",
    description =
        "Forward GFLOP/s of a random LLaDA model next to a plain GEMM's, measured in the same run;"
            + " with --sampler, the sampler ladder on a model.")
final class BenchCommand implements Callable<Integer> {

  @Option(names = "--d-model", defaultValue = "256")
  int dModel;

  @Option(names = "--heads", defaultValue = "8")
  int heads;

  @Option(names = "--layers", defaultValue = "4")
  int layers;

  @Option(names = "--mlp", defaultValue = "688")
  int mlp;

  @Option(names = "--vocab", defaultValue = "4096")
  int vocab;

  @Option(names = "--batch", defaultValue = "1")
  int batch;

  @Option(names = "--length", defaultValue = "256")
  int length;

  @Option(names = "--gemm", defaultValue = "1024", description = "n of the n×n×n GEMM baseline")
  int gemm;

  @Option(names = "--iters", defaultValue = "20")
  int iters;

  @Option(names = "--warmup", defaultValue = "5")
  int warmup;

  @Option(
      names = "--block",
      defaultValue = "4",
      description =
          "steady state: calls timed back to back per block, after one untimed call (0: skip)")
  int block;

  @Option(
      names = "--parts",
      description =
          "also time each matrix product of the forward alone, next to the GEMM: the ratio of a"
              + " forward made of its products alone")
  boolean parts;

  @Option(names = "--device", defaultValue = "cpu")
  String device;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Option(
      names = "--sampler",
      description =
          "instead: the sampler ladder (acceleration.md §9.2) on --model over --tasks, resumable"
              + " from --results")
  boolean sampler;

  @picocli.CommandLine.Mixin LadderOptions ladder;

  @Override
  public Integer call() throws IOException {
    if (sampler) {
      return ladder.run(device);
    }
    if (iters < 1 || warmup < 0 || batch < 1 || length < 1 || block < 0) {
      throw new IllegalArgumentException(
          "--iters, --batch and --length must be >= 1, --warmup and --block >= 0");
    }
    LladaConfig c =
        new LladaConfig(
            dModel,
            heads,
            heads,
            layers,
            mlp,
            vocab,
            vocab,
            10000.0,
            1e-5,
            Math.max(length, 256),
            vocab - 1,
            vocab - 2,
            vocab - 2);
    Path dir = Files.createTempDirectory("llada-bench");
    try {
      writeRandomModel(dir, c);
      double rssBefore = rssMiB();
      int[][] tokens = new int[batch][length];
      SplittableRandom random = new SplittableRandom(1);
      for (int[] row : tokens) {
        for (int i = 0; i < length; i++) {
          row[i] = random.nextInt(vocab - 2);
        }
      }
      String[] names = {
        "torchscript", "torchscript_unpacked", "ops", "gemm_" + gemm, "gemm_forward_shape"
      };
      double[][] ms = new double[names.length][iters];
      double rssAfter;
      boolean packed;
      JsonObject partsReport = null;
      // steady state: [round][call] of the TorchScript forward and of the square GEMM
      double[][] steadyForward = new double[iters][block];
      double[][] steadyGemm = new double[iters][block];
      try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, device);
          DjlMaskPredictor unpacked = DjlMaskPredictor.load(dir, device, false);
          NDManager m =
              Engine.getEngine("PyTorch").newBaseManager(DjlMaskPredictor.device(device));
          // the baselines: a square GEMM and the forward's own biggest GEMM shape, (B·L × d) ·
          // (d × 2·mlp), the fused gate|up projection
          PlainGemm square = new PlainGemm((PtNDManager) m, gemm, gemm, gemm);
          PlainGemm shape =
              new PlainGemm((PtNDManager) m, (long) batch * length, dModel, 2L * mlp)) {
        DjlMaskPredictor script = model.using(DjlMaskPredictor.Path.TORCHSCRIPT);
        DjlMaskPredictor scriptUnpacked = unpacked.using(DjlMaskPredictor.Path.TORCHSCRIPT);
        DjlMaskPredictor ops = model.using(DjlMaskPredictor.Path.OPS);
        Runnable[] work = {
          () -> script.logits(tokens, null, 0, length).close(),
          () -> scriptUnpacked.logits(tokens, null, 0, length).close(),
          () -> ops.logits(tokens, null, 0, length).close(),
          square::run,
          shape::run
        };
        // interleaved: every round times each measurement once, so a change of load on the
        // machine reaches the forwards and the GEMMs alike
        for (int round = -warmup; round < iters; round++) {
          for (int k = 0; k < work.length; k++) {
            long t0 = System.nanoTime();
            work[k].run();
            if (round >= 0) {
              ms[k][round] = (System.nanoTime() - t0) / 1e6;
            }
          }
        }
        // Steady state, as in a denoising loop (forwards back to back, the weights still in the
        // caches from the call before): blocks of 1 + block calls of the forward, then of the
        // GEMM, alternating round by round; the first call of each block is not timed.
        if (block > 0) {
          for (int round = 0; round < iters; round++) {
            timeBlock(work[0], steadyForward[round]);
            timeBlock(work[3], steadyGemm[round]);
          }
        }
        packed = model.mklPacked();
        rssAfter = rssMiB();
        if (parts) { // packed where the forward is
          try (ForwardParts products =
              new ForwardParts((PtNDManager) m, c, batch, length, packed)) {
            partsReport = timeParts(products, square, c);
          }
        }
      }
      double forwardFlops = forwardFlops(c, batch, length);
      double[] flops = {
        forwardFlops,
        forwardFlops,
        forwardFlops,
        2.0 * gemm * gemm * gemm,
        2.0 * batch * length * dModel * 2 * mlp
      };
      JsonObject o = new JsonObject();
      o.addProperty(
          "shape",
          String.format(
              "d=%d heads=%d layers=%d mlp=%d vocab=%d B=%d L=%d",
              dModel, heads, layers, mlp, vocab, batch, length));
      o.addProperty("device", device);
      o.addProperty("threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
      o.addProperty("forward_gflop", forwardFlops / 1e9);
      o.addProperty("method", "interleaved rounds: " + warmup + " warm-up + " + iters + " timed");
      o.addProperty("gemm_forward_shape", (batch * length) + "x" + dModel + "x" + (2 * mlp));
      double[] minRate = new double[names.length];
      double[] medianRate = new double[names.length];
      for (int k = 0; k < names.length; k++) {
        double min = Arrays.stream(ms[k]).min().orElseThrow();
        double med = median(ms[k]);
        minRate[k] = flops[k] / min / 1e6;
        medianRate[k] = flops[k] / med / 1e6;
        o.addProperty(names[k] + "_ms_min", min);
        o.addProperty(names[k] + "_ms_median", med);
        o.addProperty(names[k] + "_gflops_at_min", minRate[k]);
        o.addProperty(names[k] + "_gflops_at_median", medianRate[k]);
      }
      o.addProperty("forward_path", names[0]);
      o.addProperty("mkl_packed", packed);
      // MKL's Intel kernels on an AMD CPU (bin/mkl-intel-path, docs/adr/0004)
      o.addProperty("mkl_intel_path_shim", MklCodePath.shimLoaded());
      int squareGemm = 3;
      int own = 4;
      for (int k = 0; k < 3; k++) {
        o.addProperty(names[k] + "_ratio_at_min", minRate[k] / minRate[squareGemm]);
        o.addProperty(names[k] + "_ratio_at_median", medianRate[k] / medianRate[squareGemm]);
        o.addProperty(names[k] + "_ratio_to_forward_shape_gemm_at_min", minRate[k] / minRate[own]);
        // paired: the ratio within each round, then its median (robust to slow load drift)
        double[] paired = new double[iters];
        for (int r = 0; r < iters; r++) {
          paired[r] = (flops[k] / ms[k][r]) / (flops[squareGemm] / ms[squareGemm][r]);
        }
        o.addProperty(names[k] + "_ratio_paired_median", median(paired));
      }
      if (block > 0) {
        // each round's two block medians give one ratio; then the median over rounds
        double[] pairedSteady = new double[iters];
        for (int r = 0; r < iters; r++) {
          pairedSteady[r] =
              (forwardFlops / median(steadyForward[r]))
                  / (flops[squareGemm] / median(steadyGemm[r]));
        }
        double[] f = Arrays.stream(steadyForward).flatMapToDouble(Arrays::stream).toArray();
        double[] g = Arrays.stream(steadyGemm).flatMapToDouble(Arrays::stream).toArray();
        double fMin = Arrays.stream(f).min().orElseThrow();
        double gMin = Arrays.stream(g).min().orElseThrow();
        o.addProperty(
            "steady_method",
            "%d rounds, each 1 + %d forwards then 1 + %d GEMMs back to back, the first untimed"
                .formatted(iters, block, block));
        o.addProperty(names[0] + "_steady_ms_min", fMin);
        o.addProperty(names[0] + "_steady_ms_median", median(f));
        o.addProperty(names[squareGemm] + "_steady_ms_min", gMin);
        o.addProperty(names[squareGemm] + "_steady_ms_median", median(g));
        o.addProperty(
            names[0] + "_steady_ratio_at_min", (forwardFlops / fMin) / (flops[squareGemm] / gMin));
        o.addProperty(
            names[0] + "_steady_ratio_at_median",
            (forwardFlops / median(f)) / (flops[squareGemm] / median(g)));
        o.addProperty(names[0] + "_steady_ratio_paired_median", median(pairedSteady));
      }
      if (partsReport != null) {
        partsReport.entrySet().forEach(e -> o.add(e.getKey(), e.getValue()));
      }
      o.addProperty("activation_mib_estimate", activationBytes(c, batch, length) / 1048576.0);
      o.addProperty("rss_mib_before_load", rssBefore);
      o.addProperty("rss_mib_after_forwards", rssAfter);
      var out = LladaCli.io.out;
      if (json) {
        out.println(new GsonBuilder().setPrettyPrinting().create().toJson(o));
      } else {
        for (var e : o.entrySet()) {
          out.printf("%-44s %s%n", e.getKey(), e.getValue());
        }
      }
      return 0;
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Multiply-adds × 2 of one forward: projections, attention, SwiGLU, LM head. */
  static double forwardFlops(LladaConfig c, int b, int l) {
    double d = c.dModel();
    double tokens = (double) b * l;
    double perLayer =
        2 * tokens * (4 * d * d) // q, k, v, out
            + 2 * 2 * b * (double) l * l * d // scores and context
            + 2 * tokens * 3 * d * c.mlpHiddenSize(); // gate, up, down
    return c.nLayers() * perLayer + 2 * tokens * d * c.embeddingSize();
  }

  /** The largest live activations of one forward: attention scores, MLP hidden, logits. */
  static double activationBytes(LladaConfig c, int b, int l) {
    double scores = (double) b * c.nHeads() * l * l * 4 * 2; // scores + softmax
    double mlp = (double) b * l * c.mlpHiddenSize() * 4 * 3;
    double logits = (double) b * l * c.embeddingSize() * 4;
    double hidden = (double) b * l * c.dModel() * 4 * 8;
    return scores + mlp + logits + hidden;
  }

  private static void writeRandomModel(Path dir, LladaConfig c) throws IOException {
    Files.writeString(
        dir.resolve("config.json"), new Gson().toJson(c.toJson()), StandardCharsets.UTF_8);
    SplittableRandom random = new SplittableRandom(7);
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, long[]> e :
        dev.llada.core.model.LladaNetwork.checkpointShapes(c).entrySet()) {
      long[] shape = e.getValue();
      int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (x, y) -> x * y));
      float[] data = new float[n];
      double std = shape.length == 1 ? 0 : 1 / Math.sqrt(shape[shape.length - 1]);
      for (int i = 0; i < n; i++) {
        data[i] = shape.length == 1 ? 1f : (float) (std * random.nextGaussian());
      }
      tensors.add(new SafetensorsWriter.Tensor(e.getKey(), shape, data, DType.F32));
    }
    SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
  }

  /**
   * Interleaved rounds of each product of the forward alone and the square GEMM: every part's rate
   * and ratio to the GEMM, and the ratio of a forward made of its products alone (the parts' times
   * summed with their counts per forward), at the minima and paired by round.
   */
  private JsonObject timeParts(ForwardParts products, PlainGemm square, LladaConfig c) {
    List<ForwardParts.Part> list = products.parts();
    double[][] t = new double[list.size()][iters];
    double[] g = new double[iters];
    for (int round = -warmup; round < iters; round++) {
      for (int k = 0; k < list.size(); k++) {
        long t0 = System.nanoTime();
        list.get(k).call().run();
        if (round >= 0) {
          t[k][round] = (System.nanoTime() - t0) / 1e6;
        }
      }
      long t0 = System.nanoTime();
      square.run();
      if (round >= 0) {
        g[round] = (System.nanoTime() - t0) / 1e6;
      }
    }
    double gemmFlops = 2.0 * gemm * gemm * gemm;
    double gemmMin = Arrays.stream(g).min().orElseThrow();
    double gemmRate = gemmFlops / gemmMin;
    JsonObject o = new JsonObject();
    o.addProperty(
        "parts_method",
        "interleaved rounds: "
            + warmup
            + " warm-up + "
            + iters
            + " timed, each part once, then the GEMM");
    o.addProperty("parts_mkl_packed", products.packed());
    o.addProperty("parts_gflop", products.forwardFlops() / 1e9);
    o.addProperty("parts_gemm_" + gemm + "_ms_min", gemmMin);
    double sumMin = 0;
    double[] sum = new double[iters];
    for (int k = 0; k < list.size(); k++) {
      ForwardParts.Part p = list.get(k);
      double min = Arrays.stream(t[k]).min().orElseThrow();
      sumMin += p.perForward() * min;
      for (int r = 0; r < iters; r++) {
        sum[r] += p.perForward() * t[k][r];
      }
      String key = "part_" + p.name();
      o.addProperty(key + "_per_forward", p.perForward());
      o.addProperty(key + "_ms_min", min);
      o.addProperty(key + "_gflops_at_min", p.flops() / min / 1e6);
      o.addProperty(key + "_ratio_at_min", p.flops() / min / gemmRate);
    }
    double flops = forwardFlops(c, batch, length);
    o.addProperty("parts_sum_ms_min", sumMin);
    o.addProperty("parts_only_ratio_at_min", flops / sumMin / gemmRate);
    double[] paired = new double[iters];
    for (int r = 0; r < iters; r++) {
      paired[r] = (flops / sum[r]) / (gemmFlops / g[r]);
    }
    o.addProperty("parts_only_ratio_paired_median", median(paired));
    return o;
  }

  /** Runs {@code work} once untimed, then once per slot of {@code ms}, timing each call. */
  private static void timeBlock(Runnable work, double[] ms) {
    work.run();
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      work.run();
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double rssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }
}

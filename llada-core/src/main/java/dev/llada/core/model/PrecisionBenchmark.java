package dev.llada.core.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.llada.core.config.LladaConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The TorchScript forward of one model shape in float32 and in bfloat16 on one device (issue #21
 * item 5: an LLaDA-8B-shaped forward on a GPU), on random weights drawn on the device itself (N(0,
 * 0.02): 8 B parameters drawn in Java and copied would take minutes). For each canvas B × L it
 * reports the median and minimum milliseconds per forward over {@code iters} timed calls after
 * {@code warmup} untimed ones (each call ends on a host read of one number, so the device's queue
 * is drained inside the timing), the multiply-adds' rate, and how far the bfloat16 logits are from
 * the float32 ones (max |a − e| / max |e| and argmax agreement over the logits window).
 *
 * <p>{@code java -cp ... dev.llada.core.model.PrecisionBenchmark --device gpu0 --shape llada-8b
 * --canvases 1x512,1x1024,8x1024 --window 256 --iters 5 --warmup 2}; {@code --shape
 * d,heads,layers,mlp,vocab} for any other shape (CPU runs of a small one check the harness).
 */
public final class PrecisionBenchmark {

  private PrecisionBenchmark() {}

  /** LLaDA-8B's shape (llada-spec §1.1): d 4096, 32 heads, 32 layers, SwiGLU 12288, V 126,464. */
  static LladaConfig shape(String name) {
    if (name.equals("llada-8b")) {
      return new LladaConfig(
          4096, 32, 32, 32, 12288, 126464, 126464, 500000.0, 1e-5, 4096, 126336, 126081, 126081);
    }
    int[] s = Arrays.stream(name.split(",")).mapToInt(Integer::parseInt).toArray();
    if (s.length != 5) {
      throw new IllegalArgumentException("--shape is llada-8b or d,heads,layers,mlp,vocab");
    }
    return new LladaConfig(
        s[0], s[1], s[1], s[2], s[3], s[4], s[4], 10000.0, 1e-5, 4096, s[4] - 1, s[4] - 2,
        s[4] - 2);
  }

  /** Multiply-adds × 2 of one forward whose LM head computes {@code window} positions. */
  static double flops(LladaConfig c, int b, int l, int window) {
    double d = c.dModel();
    double kv = (double) c.nKvHeads() * c.headDim();
    double perToken = c.nLayers() * (d * (d + 2 * kv) + d * d + 3 * d * c.mlpHiddenSize());
    double attention = c.nLayers() * 2.0 * l * d; // scores and context, per query position
    return 2 * ((double) b * l * (perToken + attention) + (double) b * window * d * c.vocabSize());
  }

  public static void main(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      o.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    LladaConfig c = shape(o.getOrDefault("shape", "llada-8b"));
    String device = o.getOrDefault("device", "cpu");
    int window = Integer.parseInt(o.getOrDefault("window", "256"));
    int iters = Integer.parseInt(o.getOrDefault("iters", "5"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "2"));
    List<int[]> canvases = new ArrayList<>();
    for (String s : o.getOrDefault("canvases", "1x512,1x1024").split(",")) {
      String[] bl = s.split("x");
      canvases.add(new int[] {Integer.parseInt(bl[0]), Integer.parseInt(bl[1])});
    }
    System.out.println(run(c, device, canvases, window, iters, warmup));
  }

  /** Both precisions on every canvas; the JSON report. */
  static JsonObject run(
      LladaConfig c, String device, List<int[]> canvases, int window, int iters, int warmup) {
    DjlMaskPredictor.inferenceOnThisThread();
    JsonObject report = new JsonObject();
    report.addProperty("device", device);
    report.addProperty("parameters", c.parameterCount());
    report.addProperty(
        "shape",
        c.dModel()
            + "d "
            + c.nHeads()
            + "h "
            + c.nLayers()
            + "L "
            + c.mlpHiddenSize()
            + "ff V"
            + c.vocabSize());
    report.addProperty("window", window);
    report.addProperty("iters", iters);
    report.addProperty("warmup", warmup);
    JsonArray rows = new JsonArray();
    long start = System.nanoTime();
    try (LladaNetwork network = randomOnDevice(c, LladaNetwork.device(device));
        TorchScriptForward f32 = network.newScript(Precision.FLOAT32);
        TorchScriptForward bf16 = network.newScript(Precision.BFLOAT16)) {
      report.addProperty("init_s", (System.nanoTime() - start) / 1e9);
      for (int[] canvas : canvases) {
        int b = canvas[0];
        int l = canvas[1];
        int from = Math.max(0, l - window);
        try (NDManager m = network.manager().newSubManager()) {
          NDArray ids = m.randomInteger(0, c.vocabSize() - 2, new Shape(b, l), DataType.INT64);
          NDArray[] rope = network.scriptRope(l);
          double[] f32Times = time(f32, m, ids, rope, from, l, iters, warmup);
          double[] bf16Times = time(bf16, m, ids, rope, from, l, iters, warmup);
          NDArray a = bf16.forward(ids, null, rope, from, l);
          NDArray e = f32.forward(ids, null, rope, from, l);
          a.attach(m);
          e.attach(m);
          double relative = a.sub(e).abs().max().getFloat() / (double) e.abs().max().getFloat();
          double argmax =
              a.argMax(-1).eq(e.argMax(-1)).toType(DataType.FLOAT32, false).mean().getFloat();
          double gflop = flops(c, b, l, l - from) / 1e9;
          for (int k = 0; k < 2; k++) {
            double[] t = k == 0 ? f32Times : bf16Times;
            JsonObject row = new JsonObject();
            row.addProperty("dtype", k == 0 ? "f32" : "bf16");
            row.addProperty("batch", b);
            row.addProperty("length", l);
            row.addProperty("logit_positions", l - from);
            row.addProperty("ms_median", t[0]);
            row.addProperty("ms_min", t[1]);
            row.addProperty("gflop", gflop);
            row.addProperty("tflops_at_median", gflop / t[0]);
            if (k == 1) {
              row.addProperty("speedup_vs_f32_median", f32Times[0] / t[0]);
              row.addProperty("logits_relative_error_vs_f32", relative);
              row.addProperty("argmax_agreement_vs_f32", argmax);
            }
            rows.add(row);
          }
        }
      }
    }
    report.add("rows", rows);
    return report;
  }

  /** Median and minimum ms per forward; each call ends on a host read of one number. */
  private static double[] time(
      TorchScriptForward forward,
      NDManager parent,
      NDArray ids,
      NDArray[] rope,
      int from,
      int to,
      int iters,
      int warmup) {
    double[] ms = new double[iters];
    for (int i = 0; i < warmup + iters; i++) {
      try (NDManager scope = parent.newSubManager()) {
        long t0 = System.nanoTime();
        NDArray logits = forward.forward(ids, null, rope, from, to);
        logits.attach(scope);
        logits.get(0, 0, 0).getFloat(); // drains the device's queue
        if (i >= warmup) {
          ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    return new double[] {sorted[iters / 2], sorted[0]};
  }

  /**
   * A network of shape {@code c} on {@code device} with weights N(0, 0.02) (norms 1) drawn there;
   * the checkpoint-shaped parts that stacking copied are freed at once.
   */
  static LladaNetwork randomOnDevice(LladaConfig c, ai.djl.Device device) {
    NDManager manager = Engine.getEngine("PyTorch").newBaseManager(device);
    try {
      Map<String, NDArray> tensors = new HashMap<>();
      for (Map.Entry<String, long[]> e : Architecture.of(c).checkpointShapes().entrySet()) {
        Shape shape = new Shape(e.getValue());
        tensors.put(
            e.getKey(),
            shape.dimension() == 1
                ? manager.ones(shape)
                : manager.randomNormal(0, 0.02f, shape, DataType.FLOAT32));
      }
      LladaNetwork network = LladaNetwork.fromCheckpointTensors(c, manager, tensors);
      Map<NDArray, Boolean> kept = new IdentityHashMap<>();
      network.parameters().values().forEach(a -> kept.put(a, true));
      tensors.values().stream().filter(a -> !kept.containsKey(a)).forEach(NDArray::close);
      JniUtils.setGradMode(false);
      return network;
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }
}

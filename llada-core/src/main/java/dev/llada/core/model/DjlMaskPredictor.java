package dev.llada.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import java.nio.FloatBuffer;

/**
 * {@link MaskPredictor} on a {@link LladaNetwork}: inference only (autograd off on the calling
 * thread), every forward in its own {@link NDScope} so native memory does not grow across calls.
 * Not thread-safe: call it from one inference thread.
 */
public final class DjlMaskPredictor implements MaskPredictor {

  /**
   * Which forward runs: the fused TorchScript one (the default: one JNI call per forward, fused
   * attention, MKL-packed projections on CPU; docs/BENCHMARKS.md) or DJL op by op ({@code
   * -Dllada.forward=ops}; the same arithmetic, the one training differentiates through). Both are
   * checked against the float64 oracle.
   */
  public enum Path {
    TORCHSCRIPT,
    OPS
  }

  /**
   * Where a sampling step's vocabulary work runs ({@link #reducesOnDevice}): AUTO reduces on the
   * device when it is not the CPU or when the logits would not fit one Java buffer; on the CPU the
   * Java loop is faster (docs/BENCHMARKS.md, 2026-12-02). {@code -Dllada.reductions=device|java}
   * prefers one; JAVA still reduces on the device where the logits cannot be copied to Java at all.
   * Views made by {@link #using} and {@link #reducing} share the network: closing one closes all.
   */
  public enum Reductions {
    AUTO,
    DEVICE,
    JAVA
  }

  /**
   * Logit values the device reduction works on at a time (float32 and float64 copies of them): 16
   * Mi, about 130 positions at V = 126,464, so its working memory stays near 200 MiB.
   */
  long reductionChunkValues = 16L << 20;

  private final LladaNetwork network;
  private final Path path;
  private final Reductions reductions;

  /** Rows spliced into every forward's embeddings (LLaDA-V's image features), or null. */
  private final Splice splice;

  private DjlMaskPredictor(LladaNetwork network, Path path, Reductions reductions) {
    this(network, path, reductions, null);
  }

  private DjlMaskPredictor(LladaNetwork network, Path path, Reductions reductions, Splice splice) {
    if (path == Path.OPS && network.precision() != Precision.FLOAT32) {
      throw new IllegalArgumentException(
          "the op-by-op forward computes in f32; bf16 runs on the TorchScript forward");
    }
    this.network = network;
    this.path = path;
    this.reductions = reductions;
    this.splice = splice;
  }

  private DjlMaskPredictor(LladaNetwork network, Path path) {
    this(network, path, defaultReductions());
  }

  /** The same predictor, running the given forward. */
  public DjlMaskPredictor using(Path forward) {
    return new DjlMaskPredictor(network, forward, reductions, splice);
  }

  /** The same predictor, reducing the vocabulary where {@code where} says. */
  public DjlMaskPredictor reducing(Reductions where) {
    return new DjlMaskPredictor(network, path, where, splice);
  }

  /**
   * The same predictor with {@code splice}'s rows in place of those canvas positions' embeddings in
   * every forward (LLaDA-V: the image features at the placeholders of the prompt, which no sampler
   * ever masks); the rows are canvas rows of each call. The features stay the caller's.
   */
  public DjlMaskPredictor withSplice(Splice splice) {
    return new DjlMaskPredictor(network, path, reductions, splice);
  }

  static Reductions defaultReductions() {
    String v = System.getProperty("llada.reductions", "auto");
    return switch (v.toLowerCase(java.util.Locale.ROOT)) {
      case "device" -> Reductions.DEVICE;
      case "java" -> Reductions.JAVA;
      case "auto" -> Reductions.AUTO;
      default -> {
        java.util.logging.Logger.getLogger(DjlMaskPredictor.class.getName())
            .warning("-Dllada.reductions=" + v + " is not auto, device or java; using auto");
        yield Reductions.AUTO;
      }
    };
  }

  @Override
  public boolean reducesOnDevice(long elements) {
    return switch (reductions) {
      case DEVICE -> true;
      case JAVA -> elements > Logits.MAX_JAVA_VALUES; // a copy that large cannot be made at all
      case AUTO ->
          !Device.Type.CPU.equals(network.manager().getDevice().getDeviceType())
              || elements > Logits.MAX_JAVA_VALUES;
    };
  }

  /**
   * Loads {@code config.json} and the safetensors weights of {@code modelDirectory} onto {@code
   * device} ({@code cpu}, {@code gpu0}, ...), checking every name and shape first.
   */
  public static DjlMaskPredictor load(java.nio.file.Path modelDirectory, String device) {
    return load(modelDirectory, device, Precision.FLOAT32);
  }

  /**
   * As {@link #load(java.nio.file.Path, String)}, choosing whether the TorchScript forward may run
   * on MKL-packed weights ({@code -Dllada.mkl_pack} decides for the other loads).
   */
  public static DjlMaskPredictor load(
      java.nio.file.Path modelDirectory, String device, boolean mklPack) {
    return new DjlMaskPredictor(
        LladaNetwork.load(modelDirectory, prepare(device), mklPack), defaultPath());
  }

  /**
   * As {@link #load(java.nio.file.Path, String)}, the TorchScript forward computing in {@code
   * precision} (bfloat16: weights held in bfloat16 on the device; {@link Precision}).
   */
  public static DjlMaskPredictor load(
      java.nio.file.Path modelDirectory, String device, Precision precision) {
    LladaNetwork network =
        LladaNetwork.load(
            modelDirectory, prepare(device), LladaNetwork.mklPackByDefault(), precision);
    return new DjlMaskPredictor(
        network, precision == Precision.FLOAT32 ? defaultPath() : Path.TORCHSCRIPT);
  }

  /** The type the forward computes in. */
  public Precision precision() {
    return network.precision();
  }

  /** Loads from an open checkpoint (which may be closed afterwards). */
  public static DjlMaskPredictor load(LladaConfig config, Checkpoint checkpoint, String device) {
    return new DjlMaskPredictor(
        LladaNetwork.load(config, checkpoint, prepare(device)), defaultPath());
  }

  /** The device, with the natives loaded and autograd off on this thread. */
  private static Device prepare(String device) {
    Device target = device(device);
    inferenceOnThisThread();
    return target;
  }

  /**
   * Loads the natives and turns autograd off on the calling thread: a thread that runs forwards of
   * a predictor loaded on another thread calls it first (grad mode is per thread: djl.md §4).
   */
  public static void inferenceOnThisThread() {
    Engine.getEngine("PyTorch"); // loads the natives before the first JNI call
    JniUtils.setGradMode(false); // inference only
  }

  /**
   * Wraps a network (e.g. one being trained) for sampling; the network stays the caller's. Its
   * TorchScript forward holds the parameter arrays themselves (in-place optimizer updates are seen)
   * and packs no weights, since the network is not frozen.
   */
  public static DjlMaskPredictor of(LladaNetwork network) {
    return new DjlMaskPredictor(network, defaultPath());
  }

  /** {@code -Dllada.forward=ops} selects the op-by-op forward; TorchScript otherwise. */
  static Path defaultPath() {
    return "ops".equalsIgnoreCase(System.getProperty("llada.forward"))
        ? Path.OPS
        : Path.TORCHSCRIPT;
  }

  /** {@code cpu}, {@code gpu} or {@code gpuN}. */
  public static Device device(String name) {
    return LladaNetwork.device(name);
  }

  @Override
  public LladaConfig config() {
    return network.config();
  }

  @Override
  public Logits logits(int[][] tokens, boolean[][] attentionMask, int from, int to) {
    return logits(tokens, attentionMask, from, to, null);
  }

  /** The TorchScript forward keeps a KV cache; the op-by-op one (training's) does not. */
  @Override
  public boolean caches() {
    return path == Path.TORCHSCRIPT;
  }

  @Override
  public KvCache newCache() {
    if (!caches()) {
      throw new UnsupportedOperationException("the op-by-op forward keeps no KV cache");
    }
    return new DjlKvCache(network.config(), network.precision());
  }

  @Override
  public Logits logits(
      int[][] tokens, boolean[][] attentionMask, int from, int to, CacheStep step) {
    NDManager kept = network.manager().newSubManager(); // owns the logits once returned
    try (NDScope scope = new NDScope();
        NDManager m = network.manager().newSubManager()) {
      NDArray logits = forward(m, tokens, attentionMask, from, to, step);
      // no copy into the heap: the Logits view the tensor's memory and free it when closed. The
      // tensor leaves the forward's scope and manager first; a host copy, where DJL has to make
      // one (another device, a non-contiguous result), lands in the same manager.
      NDScope.unregister(logits);
      logits.attach(kept);
      FloatBuffer data = logits.toByteBuffer(true).asFloatBuffer();
      return Logits.ofNative(
          tokens.length,
          to - from,
          network.config().embeddingSize(),
          data,
          kept::close,
          kept::isOpen);
    } catch (RuntimeException | Error e) {
      kept.close();
      throw e;
    }
  }

  /**
   * The vocabulary work on the device, as {@link VocabularyReductions#predict} does it on the heap:
   * guidance in float32; only the wanted (row, position) pairs; the banned ids at −∞ and argmax (on
   * float32, where the order is that of the float64 values); the unconfident ids at −∞; then in
   * float64 exp(l[x0] − max) / Σ exp(l − max). Only ids and confidences are copied to Java.
   */
  @Override
  public Predictions predict(
      int[][] tokens,
      boolean[][] attentionMask,
      int from,
      int to,
      double cfgScale,
      int[] banned,
      int[] unconfident,
      boolean[][] wanted,
      CacheStep step) {
    try (NDScope scope = new NDScope();
        NDManager m = network.manager().newSubManager()) {
      NDArray logits = forward(m, tokens, attentionMask, from, to, step);
      int rows = tokens.length;
      int positions = to - from;
      int vocab = network.config().embeddingSize();
      if (cfgScale > 0) {
        if (rows % 2 != 0) {
          throw new IllegalArgumentException("guidance needs conditional and unconditional rows");
        }
        rows /= 2;
        NDArray cond = logits.get("0:" + rows);
        NDArray uncond = logits.get(rows + ":");
        float w = (float) cfgScale;
        logits = uncond.add(cond.sub(uncond).mul(w + 1)); // the heap path's float32 order
      }
      long[] picked = picked(wanted, rows, positions);
      if (picked == null) {
        picked = new long[rows * positions];
        for (int k = 0; k < picked.length; k++) {
          picked[k] = k;
        }
      }
      NDArray flat = logits.reshape(rows * (long) positions, vocab);
      int[] tokensOut = new int[rows * positions];
      double[] confOut = new double[rows * positions];
      java.util.Arrays.fill(tokensOut, -1);
      // in chunks of (row, position) pairs, so the copies below stay small whatever the logits are
      int chunk = (int) Math.max(1, Math.min(picked.length, reductionChunkValues / vocab));
      for (int k0 = 0; k0 < picked.length; k0 += chunk) {
        long[] part = java.util.Arrays.copyOfRange(picked, k0, Math.min(picked.length, k0 + chunk));
        try (NDManager c = m.newSubManager()) {
          NDArray l = flat.get(c.create(part)); // a copy: the forward's output is read-only
          l.attach(c);
          for (int id : banned) {
            l.set(new NDIndex(":, {}", id), Float.NEGATIVE_INFINITY);
          }
          NDArray x0 = l.argMax(1).expandDims(1);
          for (int id : unconfident) {
            l.set(new NDIndex(":, {}", id), Float.NEGATIVE_INFINITY);
          }
          NDArray l64 = l.toType(DataType.FLOAT64, true);
          NDArray max = l64.max(new int[] {1}, true);
          NDArray atX0 = l64.gather(x0, 1).sub(max).exp();
          NDArray sum = l64.subi(max).exp().sum(new int[] {1}, true);
          long[] ids = x0.toLongArray();
          double[] conf = atX0.div(sum).toDoubleArray();
          for (int k = 0; k < ids.length; k++) {
            int at = (int) part[k];
            tokensOut[at] = (int) ids[k];
            confOut[at] = Double.isNaN(conf[k]) ? 0 : conf[k]; // NaN: every logit at −∞
          }
        }
      }
      return new Predictions(rows, positions, tokensOut, confOut);
    }
  }

  /** The flat indices of the wanted (row, position) pairs; null for all of them. */
  private static long[] picked(boolean[][] wanted, int rows, int positions) {
    if (wanted == null) {
      return null;
    }
    if (wanted.length != rows) {
      throw new IllegalArgumentException("wanted has " + wanted.length + " rows, not " + rows);
    }
    int n = 0;
    for (boolean[] row : wanted) {
      if (row.length != positions) {
        throw new IllegalArgumentException(
            "wanted rows have " + row.length + " positions, not " + positions);
      }
      for (boolean w : row) {
        n += w ? 1 : 0;
      }
    }
    long[] out = new long[n];
    int k = 0;
    for (int r = 0; r < rows; r++) {
      for (int p = 0; p < positions; p++) {
        if (wanted[r][p]) {
          out[k++] = (long) r * positions + p;
        }
      }
    }
    return out;
  }

  /**
   * The logits tensor (B, to − from, V) of one forward, in {@code m}; with a cache {@code step},
   * only the step's positions are computed (their ids (B, q) go in, the padding bias covers every
   * key), and a refresh leaves the canvas's keys and values in the cache.
   */
  private NDArray forward(
      NDManager m, int[][] tokens, boolean[][] attentionMask, int from, int to, CacheStep step) {
    LladaConfig config = network.config();
    int b = tokens.length;
    if (b == 0) {
      throw new IllegalArgumentException("no rows");
    }
    int t = tokens[0].length;
    if (from < 0 || to > t || from >= to) {
      throw new IllegalArgumentException("positions [" + from + ", " + to + ") outside 0.." + t);
    }
    long[] ids = new long[b * t];
    for (int r = 0; r < b; r++) {
      if (tokens[r].length != t) {
        throw new IllegalArgumentException("all rows must have the same length");
      }
      for (int i = 0; i < t; i++) {
        int id = tokens[r][i];
        if (id < 0 || id >= config.embeddingSize()) {
          throw new IllegalArgumentException(
              "token id " + id + " outside the vocabulary of " + config.embeddingSize());
        }
        ids[r * t + i] = id;
      }
    }
    NDArray bias = paddingBias(m, attentionMask, b, t);
    if (step != null) {
      if (!caches()) {
        throw new UnsupportedOperationException("the op-by-op forward keeps no KV cache");
      }
      if (!(step.cache() instanceof DjlKvCache cache)) {
        throw new IllegalArgumentException("a cache made by another predictor");
      }
      step.check(b, t, from, to);
      int qf = step.queryFrom(t);
      int q = step.queryTo(t) - qf;
      long[] query = new long[b * q];
      for (int r = 0; r < b; r++) {
        System.arraycopy(ids, r * t + qf, query, r * q, q);
      }
      NDArray queryIds = m.create(query, new Shape(b, q));
      boolean refresh = step instanceof CacheStep.Refresh;
      boolean keep = !(step instanceof CacheStep.Reuse);
      TorchScriptForward.Output out =
          network.scriptedForward(
              queryIds,
              qf,
              bias,
              refresh ? null : cache.keysAndValues(),
              step.row(),
              keep,
              from,
              to,
              splice);
      if (refresh) {
        cache.replace(out.keysAndValues(), b, t);
      } else if (step instanceof CacheStep.Update u) {
        if (!(u.target() instanceof DjlKvCache target)) {
          out.keysAndValues().close();
          throw new IllegalArgumentException("a cache made by another predictor");
        }
        target.replace(out.keysAndValues(), b, t); // after the forward that read the old one
      }
      return out.logits();
    }
    NDArray tokenIds = m.create(ids, new Shape(b, t));
    return path == Path.TORCHSCRIPT
        ? network.scriptedForward(tokenIds, bias, from, to, splice)
        : network.forward(tokenIds, bias, from, to, null, splice);
  }

  /** Additive key-padding bias (B, 1, 1, T): float32 min on padding keys (llada-spec §1.3). */
  static NDArray paddingBias(NDManager m, boolean[][] attentionMask, int b, int t) {
    if (attentionMask == null) {
      return null;
    }
    float[] bias = new float[b * t];
    boolean any = false;
    for (int r = 0; r < b; r++) {
      if (attentionMask[r].length != t) {
        throw new IllegalArgumentException("attention mask rows must match the tokens");
      }
      for (int i = 0; i < t; i++) {
        if (!attentionMask[r][i]) {
          bias[r * t + i] = -Float.MAX_VALUE;
          any = true;
        }
      }
    }
    return any ? m.create(bias, new Shape(b, 1, 1, t)) : null;
  }

  /** How many row counts' packed weights are kept now (0 before the first forward). */
  int mklPackings() {
    return network.mklPackings();
  }

  /** Whether the TorchScript forward runs on MKL-packed weights (after its first call). */
  public boolean mklPacked() {
    return network.mklPacked();
  }

  /** Native arrays held by the network; constant across forwards (leak check). */
  public int residentArrays() {
    return network.manager().getManagedArrays().size();
  }

  @Override
  public void close() {
    network.close();
  }
}

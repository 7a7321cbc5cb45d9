package dev.llada.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.jni.JniUtils;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The LLaDA forward pass on DJL's PyTorch engine in float32, exactly as {@code modeling_llada.py}
 * (llada-spec §1.2): embedding; per block pre-norm attention with rotate-half RoPE and
 * <b>bidirectional</b> softmax attention, then pre-norm SwiGLU; final RMSNorm; untied LM head,
 * applied only at the positions asked for. Every forward runs in its own {@link NDScope}, so native
 * memory does not grow across calls. Not thread-safe: call it from one inference thread.
 */
public final class DjlMaskPredictor implements MaskPredictor {

  private final LladaConfig config;
  private final NDManager weights;
  private final NDArray wte;
  private final NDArray lnF;
  private final NDArray lmHead;
  private final Layer[] layers;

  /** rotate_half as a matrix: [x1 | x2] · R = [−x2 | x1]. */
  private final NDArray rotateHalf;

  /**
   * One block's weights. q, k and v are stacked into one [d + 2·kv, d] matrix and gate and up into
   * one [2·ff, d] matrix, so each is one GEMM; the product is split again (same arithmetic).
   */
  private record Layer(
      NDArray attnNorm,
      NDArray qkv,
      NDArray attnOut,
      NDArray ffNorm,
      NDArray gateUp,
      NDArray ffOut) {}

  private DjlMaskPredictor(LladaConfig config, NDManager weights, Map<String, NDArray> tensors) {
    this.config = config;
    this.weights = weights;
    this.wte = tensors.get(LladaNames.WTE);
    this.lnF = tensors.get(LladaNames.LN_F);
    this.lmHead = tensors.get(LladaNames.LM_HEAD);
    this.layers = new Layer[config.nLayers()];
    for (int i = 0; i < layers.length; i++) {
      NDArray q = tensors.get(LladaNames.block(i, "q_proj"));
      NDArray k = tensors.get(LladaNames.block(i, "k_proj"));
      NDArray v = tensors.get(LladaNames.block(i, "v_proj"));
      NDArray gate = tensors.get(LladaNames.block(i, "ff_proj"));
      NDArray up = tensors.get(LladaNames.block(i, "up_proj"));
      layers[i] =
          new Layer(
              tensors.get(LladaNames.block(i, "attn_norm")),
              NDArrays.concat(new NDList(q, k, v), 0),
              tensors.get(LladaNames.block(i, "attn_out")),
              tensors.get(LladaNames.block(i, "ff_norm")),
              NDArrays.concat(new NDList(gate, up), 0),
              tensors.get(LladaNames.block(i, "ff_out")));
      for (NDArray separate : new NDArray[] {q, k, v, gate, up}) {
        separate.close();
      }
    }
    int hd = config.headDim();
    int half = hd / 2;
    float[] r = new float[hd * hd];
    for (int j = 0; j < half; j++) {
      r[(j + half) * hd + j] = -1; // output column j takes −x2[j]
      r[j * hd + j + half] = 1; // output column j+half takes x1[j]
    }
    this.rotateHalf = weights.create(r, new Shape(hd, hd)).toDevice(weights.getDevice(), false);
  }

  /**
   * Loads {@code config.json} and the safetensors weights of {@code modelDirectory} onto {@code
   * device} ({@code cpu}, {@code gpu0}, ...), checking every name and shape first.
   */
  public static DjlMaskPredictor load(Path modelDirectory, String device) {
    LladaConfig config = LladaConfig.read(modelDirectory);
    try (Checkpoint checkpoint = Checkpoint.open(modelDirectory)) {
      return load(config, checkpoint, device);
    }
  }

  /** Loads from an open checkpoint (which may be closed afterwards). */
  public static DjlMaskPredictor load(LladaConfig config, Checkpoint checkpoint, String device) {
    Map<String, long[]> expected = LladaNames.expectedShapes(config);
    validate(checkpoint, expected);
    Device target = device(device);
    Engine engine = Engine.getEngine("PyTorch");
    JniUtils.setGradMode(false); // inference only; grad mode is per thread (djl.md §4)
    NDManager manager = engine.newBaseManager(target);
    try {
      Map<String, NDArray> tensors = new java.util.HashMap<>();
      for (Map.Entry<String, long[]> e : expected.entrySet()) {
        NDArray onCpu =
            manager.create(
                checkpoint.float32(e.getKey()), new Shape(e.getValue()), DataType.FLOAT32);
        // F32 weights alias a read-only file mapping that the GC may unmap: keep a copy that owns
        // its memory. toDevice(cpu, copy=true) would alias it (DJL passes no copy flag to torch).
        NDArray resident =
            target.equals(Device.cpu()) ? onCpu.duplicate() : onCpu.toDevice(target, false);
        onCpu.close();
        resident.setName(e.getKey());
        tensors.put(e.getKey(), resident);
      }
      return new DjlMaskPredictor(config, manager, tensors);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static void validate(Checkpoint checkpoint, Map<String, long[]> expected) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      if (!checkpoint.contains(e.getKey())) {
        problems.add("missing " + e.getKey());
        continue;
      }
      TensorInfo info = checkpoint.info(e.getKey());
      if (!Arrays.equals(info.shape(), e.getValue())) {
        problems.add(
            e.getKey()
                + " has shape "
                + Arrays.toString(info.shape())
                + ", config.json implies "
                + Arrays.toString(e.getValue()));
      }
    }
    for (String name : checkpoint.names()) {
      if (!expected.containsKey(name)) {
        problems.add("unexpected tensor " + name);
      }
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 5);
      throw new ModelFormatException(
          checkpoint.directory()
              + " does not match its config.json: "
              + String.join("; ", problems.subList(0, shown))
              + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : ""));
    }
  }

  /** {@code cpu}, {@code gpu} or {@code gpuN}. */
  public static Device device(String name) {
    if (name == null || name.isBlank() || name.equals("cpu")) {
      return Device.cpu();
    }
    if (name.matches("gpu\\d*")) {
      int id = name.length() == 3 ? 0 : Integer.parseInt(name.substring(3));
      return Device.gpu(id);
    }
    throw new IllegalArgumentException(
        "device must be cpu or gpuN (e.g. gpu0), got '" + name + "'");
  }

  @Override
  public LladaConfig config() {
    return config;
  }

  @Override
  public Logits logits(int[][] tokens, boolean[][] attentionMask, int from, int to) {
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
    try (NDScope scope = new NDScope();
        NDManager m = weights.newSubManager()) {
      NDArray x = m.create(ids, new Shape(b, t));
      NDArray h = x.getNDArrayInternal().embedding(x, wte, SparseFormat.DENSE).singletonOrThrow();
      NDArray[] rope = rope(m, t);
      NDArray bias = paddingBias(m, attentionMask, b, t);
      for (Layer layer : layers) {
        h = h.addi(attention(rmsNorm(h, layer.attnNorm()), layer, rope, bias, b, t));
        h = h.addi(feedForward(rmsNorm(h, layer.ffNorm()), layer));
      }
      h = rmsNorm(h, lnF);
      NDArray window = from == 0 && to == t ? h : h.get(new NDIndex(":, {}:{}, :", from, to));
      NDArray logits = linear(window, lmHead);
      return new Logits(b, to - from, config.embeddingSize(), logits.toFloatArray());
    }
  }

  /** RMSNorm: x · rsqrt(mean(x²) + eps), then × weight (no bias, no 1+w). */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    return x.mul(variance.addi(config.rmsNormEps()).pow(-0.5)).muli(weight);
  }

  private static NDArray linear(NDArray x, NDArray weight) {
    return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
  }

  private NDArray attention(NDArray a, Layer layer, NDArray[] rope, NDArray bias, int b, int t) {
    int heads = config.nHeads();
    int kvHeads = config.nKvHeads();
    int hd = config.headDim();
    long d = (long) heads * hd;
    long kv = (long) kvHeads * hd;
    NDList qkv = linear(a, layer.qkv()).split(new long[] {d, d + kv}, 2);
    // RoPE in the (B, T, heads, hd) layout; 1/sqrt(hd) is folded into the query tables
    NDArray q = rotate(qkv.get(0).reshape(b, t, heads, hd), rope[2], rope[3]).transpose(0, 2, 1, 3);
    NDArray kT =
        rotate(qkv.get(1).reshape(b, t, kvHeads, hd), rope[0], rope[1]).transpose(0, 2, 3, 1);
    NDArray v = qkv.get(2).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
    if (kvHeads != heads) { // grouped-query: kv head j serves query heads j*g .. j*g+g-1
      kT = kT.repeat(1, heads / kvHeads);
      v = v.repeat(1, heads / kvHeads);
    }
    NDArray scores = q.matMul(kT); // (B, H, T, T), no causal mask: bidirectional
    if (bias != null) {
      scores = scores.addi(bias);
    }
    NDArray context = scores.softmax(3).matMul(v); // (B, H, T, hd)
    return linear(context.transpose(0, 2, 1, 3).reshape(b, t, d), layer.attnOut());
  }

  /** x·cos + rotate_half(x)·sin with rotate_half([x1 | x2]) = [−x2 | x1] (NeoX convention). */
  private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
    return x.mul(cos).addi(x.matMul(rotateHalf).muli(sin));
  }

  /**
   * cos and sin tables (T, 1, headDim), angle[p, j] = p / theta^(2j/hd) repeated for both halves,
   * then the same two scaled by 1/sqrt(headDim) for the queries.
   */
  private NDArray[] rope(NDManager m, int t) {
    int hd = config.headDim();
    int half = hd / 2;
    float scale = (float) (1.0 / Math.sqrt(hd));
    float[] cos = new float[t * hd];
    float[] sin = new float[t * hd];
    float[] cosQ = new float[t * hd];
    float[] sinQ = new float[t * hd];
    for (int j = 0; j < half; j++) {
      float invFreq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / hd));
      for (int p = 0; p < t; p++) {
        float angle = p * invFreq; // float32, as torch computes freqs
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[p * hd + j] = cos[p * hd + j + half] = c;
        sin[p * hd + j] = sin[p * hd + j + half] = s;
        cosQ[p * hd + j] = cosQ[p * hd + j + half] = c * scale;
        sinQ[p * hd + j] = sinQ[p * hd + j + half] = s * scale;
      }
    }
    Shape shape = new Shape(t, 1, hd);
    return new NDArray[] {
      m.create(cos, shape), m.create(sin, shape), m.create(cosQ, shape), m.create(sinQ, shape)
    };
  }

  /** Additive key-padding bias (B, 1, 1, T): float32 min on padding keys (llada-spec §1.3). */
  private static NDArray paddingBias(NDManager m, boolean[][] attentionMask, int b, int t) {
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

  private NDArray feedForward(NDArray f, Layer layer) {
    NDList gateUp = linear(f, layer.gateUp()).split(new long[] {config.mlpHiddenSize()}, 2);
    NDArray gate = gateUp.get(0);
    NDArray silu = gate.getNDArrayInternal().sigmoid().muli(gate); // SiLU(g) = g·σ(g)
    return linear(silu.muli(gateUp.get(1)), layer.ffOut()); // down(SiLU(g) ⊙ u)
  }

  /** Native arrays held by this predictor; constant across forwards (leak check). */
  public int residentArrays() {
    return weights.getManagedArrays().size();
  }

  @Override
  public void close() {
    weights.close();
  }
}

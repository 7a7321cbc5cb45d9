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
import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LLaDA network on DJL in float32 (llada-spec §1.2): its parameters and its forward pass, used
 * for inference ({@link DjlMaskPredictor}) and for training (gradients flow through the same code).
 *
 * <p>Layout: the family's {@link Architecture} stacks q, k and v into one [d + 2·kv, d] parameter
 * and gate and up into one [2·ff, d] (an MoE block's experts into [E, 2·ff, d] and [E, d, ff]), so
 * each is one GEMM whose product is split again (the same arithmetic); they are split back into the
 * checkpoint's tensor names when saved. Forward: embedding; per {@link Block} pre-norm attention
 * (per-head q/k RMSNorm where the family has it) with rotate-half RoPE and <b>bidirectional</b>
 * softmax attention (additive key-padding bias only), then a pre-norm SwiGLU or routed experts
 * ({@link ExpertDispatch}); final RMSNorm; untied LM head at the positions asked for.
 */
public final class LladaNetwork implements AutoCloseable {

  private final LladaConfig config;
  private final Architecture architecture;
  private final NDManager manager;
  private final Map<String, NDArray> parameters;
  private final NDArray wte;
  private final NDArray lnF;
  private final NDArray lmHead;
  private final Block[] layers;

  /** rotate_half as a matrix: [x1 | x2] · R = [−x2 | x1] (a constant, not a parameter). */
  private final NDArray rotateHalf;

  /**
   * Every expert on every token instead of the grouped dispatch, in the op-by-op forward: the
   * oracle ({@link ExpertDispatch#everyExpert}), for tests and the MoE benchmark.
   */
  private boolean everyExpert;

  /** The fused TorchScript forward, built on first use (inference only). */
  private TorchScriptForward script;

  /**
   * The TorchScript forward's RoPE tables {cos, signed sin} for positions 0 .. n − 1, n ≥ every
   * length asked so far; a forward of length t reads their first t rows (the tables of a length are
   * the prefix of a longer one's). Grown by doubling; replaced sets stay attached to the network's
   * manager (a forward may still hold them) and are closed with it.
   */
  private NDArray[] scriptRope;

  /**
   * Loaded from a checkpoint for inference with MKL packing allowed (the weights never change, so
   * packed copies of them stay valid); false for networks being trained.
   */
  private boolean packable;

  /** The type the TorchScript forward computes in (float32 unless {@link #computeIn} said). */
  private Precision precision = Precision.FLOAT32;

  /** Every tensor a checkpoint of {@code config}'s family must hold, in order, with its shape. */
  public static Map<String, long[]> checkpointShapes(LladaConfig config) {
    return Architecture.of(config).checkpointShapes();
  }

  /** The stacked feed-forward parameter of a block (the variance study's proxy). */
  public static String gateUpName(LladaConfig config, int layer) {
    return config.moe() == null
        ? Architecture.Dense.gateUpName(layer)
        : Architecture.Moe.gateUpName(layer);
  }

  private LladaNetwork(LladaConfig config, NDManager manager, Map<String, NDArray> parameters) {
    this.config = config;
    this.architecture = Architecture.of(config);
    this.manager = manager;
    this.parameters = parameters;
    this.wte = parameters.get(architecture.embedding());
    this.lnF = parameters.get(architecture.finalNorm());
    this.lmHead = parameters.get(architecture.lmHead());
    this.layers = new Block[config.nLayers()];
    for (int i = 0; i < layers.length; i++) {
      layers[i] = architecture.block(i, parameters);
    }
    int hd = config.headDim();
    int half = hd / 2;
    float[] r = new float[hd * hd];
    for (int j = 0; j < half; j++) {
      r[(j + half) * hd + j] = -1; // output column j takes −x2[j]
      r[j * hd + j + half] = 1; // output column j+half takes x1[j]
    }
    this.rotateHalf = manager.create(r, new Shape(hd, hd));
  }

  /**
   * Builds the network from tensors under the checkpoint's names (owned by {@code manager}
   * afterwards).
   */
  static LladaNetwork fromCheckpointTensors(
      LladaConfig config, NDManager manager, Map<String, NDArray> t) {
    Map<String, NDArray> p = Architecture.of(config).stack(t);
    p.forEach((name, array) -> array.setName(name));
    return new LladaNetwork(config, manager, p);
  }

  /**
   * Loads a checkpoint onto {@code device}, checking every name and shape first; the TorchScript
   * forward may run on MKL-packed weights unless {@code -Dllada.mkl_pack=false}.
   */
  public static LladaNetwork load(LladaConfig config, Checkpoint checkpoint, Device device) {
    return load(config, checkpoint, device, mklPackByDefault());
  }

  /**
   * The array to keep after staging {@code staged} and moving it to {@code moved}: the staging copy
   * is closed, unless the move returned it itself — as {@code toDevice} does on a GPU manager,
   * where {@code create} already put the staged array on the device (issue #16 item 5).
   */
  static NDArray adopt(NDArray staged, NDArray moved) {
    if (moved != staged) {
      staged.close();
    }
    return moved;
  }

  /** Whether loads pack for MKL when not told: yes, unless {@code -Dllada.mkl_pack=false}. */
  static boolean mklPackByDefault() {
    return !"false".equalsIgnoreCase(System.getProperty("llada.mkl_pack"));
  }

  /** Loads a model directory ({@code config.json} and its safetensors) onto {@code device}. */
  public static LladaNetwork load(java.nio.file.Path directory, Device device, boolean mklPack) {
    return load(directory, device, mklPack, Precision.FLOAT32);
  }

  /**
   * As {@link #load(java.nio.file.Path, Device, boolean)}, the weights held in {@code precision}.
   */
  public static LladaNetwork load(
      java.nio.file.Path directory, Device device, boolean mklPack, Precision precision) {
    LladaConfig config = LladaConfig.read(directory);
    try (Checkpoint checkpoint = Checkpoint.open(directory)) {
      return load(config, checkpoint, device, mklPack, precision);
    }
  }

  /**
   * Loads a checkpoint onto {@code device}, checking every name and shape first. F32 tensors are
   * copied out of the read-only mapping (an alias of it would die with the mapping). {@code
   * mklPack} allows the TorchScript forward to pack the projection weights for MKL (used on CPU
   * only, for at most {@link TorchScriptForward#PACK_MAX_PARAMETERS} parameters).
   */
  public static LladaNetwork load(
      LladaConfig config, Checkpoint checkpoint, Device device, boolean mklPack) {
    return load(config, checkpoint, device, mklPack, Precision.FLOAT32);
  }

  /**
   * As {@link #load(LladaConfig, Checkpoint, Device, boolean)}, the weights held in {@code
   * precision}: for bfloat16 each tensor is cast on the device as it arrives and its float32 copy
   * freed, so an inference network holds half the bytes (LLaDA-8B: 16 GB, not 32) and the forward
   * computes in bfloat16. Such a network is for the TorchScript forward only.
   */
  public static LladaNetwork load(
      LladaConfig config,
      Checkpoint checkpoint,
      Device device,
      boolean mklPack,
      Precision precision) {
    TorchScriptForward.requireSupported(config, precision);
    Map<String, long[]> expected = Architecture.of(config).checkpointShapes();
    // LLaDA-V's checkpoint also holds the vision tower's tensors (the vision loader checks those)
    boolean shared = config.family() == dev.llada.core.config.ModelFamily.LLAVA_LLADA;
    LladaNames.validate(checkpoint, expected, shared, "", "its config.json", "config.json");
    NDManager manager = Engine.getEngine("PyTorch").newBaseManager(device);
    try (TorchScriptForward.Cast cast =
        precision == Precision.BFLOAT16
            ? TorchScriptForward.bf16Cast((ai.djl.pytorch.engine.PtNDManager) manager)
            : null) {
      Map<String, NDArray> tensors = new HashMap<>();
      for (Map.Entry<String, long[]> e : expected.entrySet()) {
        NDArray onCpu =
            manager.create(
                checkpoint.float32(e.getKey()), new Shape(e.getValue()), DataType.FLOAT32);
        // toDevice(cpu, copy=true) would alias the mapping (DJL passes no copy flag to torch)
        NDArray resident =
            adopt(
                onCpu,
                device.equals(Device.cpu()) ? onCpu.duplicate() : onCpu.toDevice(device, false));
        tensors.put(e.getKey(), cast == null ? resident : cast.apply(resident));
      }
      LladaNetwork network = fromCheckpointTensors(config, manager, tensors);
      network.packable = mklPack;
      network.precision = precision;
      return network;
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A freshly initialised network: weights N(0, 0.02), the residual-branch outputs ({@code
   * attn_out} and the SwiGLU's down projection, or an MoE's {@code o_proj} and experts' {@code
   * down_proj}) N(0, 0.02/√(2·layers)) as GPT-2 and OLMo do, norms 1, expert score biases 0.
   */
  public static LladaNetwork initialize(LladaConfig config, Device device, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Architecture architecture = Architecture.of(config);
    NDManager manager = Engine.getEngine("PyTorch").newBaseManager(device);
    Map<String, NDArray> tensors = new HashMap<>();
    double residualStd = 0.02 / Math.sqrt(2.0 * config.nLayers());
    for (Map.Entry<String, long[]> e : architecture.checkpointShapes().entrySet()) {
      long[] shape = e.getValue();
      int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
      float[] data = new float[n];
      boolean bias = e.getKey().endsWith("expert_bias");
      boolean norm = shape.length == 1 && !bias;
      double std = architecture.residualOutput(e.getKey()) ? residualStd : 0.02;
      for (int i = 0; i < n; i++) {
        data[i] = norm ? 1f : bias ? 0f : (float) (std * random.nextGaussian());
      }
      tensors.put(e.getKey(), manager.create(data, new Shape(shape)));
    }
    return fromCheckpointTensors(config, manager, tensors);
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

  public LladaConfig config() {
    return config;
  }

  public NDManager manager() {
    return manager;
  }

  /**
   * Parameters that are buffers, not trained: an LLaDA-MoE router's score bias (a fixed buffer in
   * the reference).
   */
  public java.util.Set<String> buffers() {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (String name : parameters.keySet()) {
      if (name.endsWith("expert_bias")) {
        out.add(name);
      }
    }
    return out;
  }

  /** Parameters by name (trainable ones and {@link #buffers()}), in a stable order. */
  public Map<String, NDArray> parameters() {
    return parameters;
  }

  /**
   * Logits (B, to − from, vocab) of positions {@code [from, to)}.
   *
   * @param ids (B, T) int64 token ids
   * @param bias (B, 1, 1, T) additive key-padding bias, or null
   */
  public NDArray forward(NDArray ids, NDArray bias, int from, int to) {
    return forward(ids, bias, from, to, null);
  }

  /**
   * {@link #forward(NDArray, NDArray, int, int)}, recording what the MoE routers did into {@code
   * stats} (for the training losses; null: not recorded).
   */
  public NDArray forward(NDArray ids, NDArray bias, int from, int to, RouterStats stats) {
    return forward(ids, bias, from, to, stats, null);
  }

  /**
   * The op-by-op forward on token embeddings with {@code splice}'s rows in place of some of them
   * (LLaDA-V's image features; null: tokens only).
   */
  public NDArray forward(
      NDArray ids, NDArray bias, int from, int to, RouterStats stats, Splice splice) {
    int b = Math.toIntExact(ids.getShape().get(0));
    int t = Math.toIntExact(ids.getShape().get(1));
    NDArray h = ids.getNDArrayInternal().embedding(ids, wte, SparseFormat.DENSE).singletonOrThrow();
    if (splice != null) {
      h = spliced(h, splice, b, t);
    }
    NDArray[] rope = rope(ids.getManager(), t);
    for (Block layer : layers) {
      h = h.add(attention(rmsNorm(h, layer.attnNorm()), layer, rope, bias, b, t));
      h = h.add(feedForward(rmsNorm(h, layer.ffNorm()), layer.ffn(), stats));
    }
    h = rmsNorm(h, lnF);
    NDArray window = from == 0 && to == t ? h : h.get(new NDIndex(":, {}:{}, :", from, to));
    return linear(window, lmHead);
  }

  /**
   * The same logits through one TorchScript call with fused attention ({@link TorchScriptForward});
   * for inference: gradients do not flow through it.
   */
  public NDArray scriptedForward(NDArray ids, NDArray bias, int from, int to) {
    int t = Math.toIntExact(ids.getShape().get(1));
    return script().forward(ids, bias, scriptRope(t), from, to);
  }

  /** The TorchScript forward of a whole canvas with {@code splice}'s rows (LLaDA-V's images). */
  public NDArray scriptedForward(NDArray ids, NDArray bias, int from, int to, Splice splice) {
    int t = Math.toIntExact(ids.getShape().get(1));
    return script().forward(ids, 0, bias, scriptRope(t), null, 0, false, from, to, splice).logits();
  }

  /**
   * The TorchScript forward of the positions {@code [offset, offset + q)} of a canvas ({@code ids}
   * (B, q)) against the cached keys and values of the others, or of a whole canvas ({@code cache}
   * null, offset 0) that may keep its keys and values ({@link TorchScriptForward#forward(NDArray,
   * int, NDArray, NDArray[], IValue, int, boolean, int, int)}).
   */
  TorchScriptForward.Output scriptedForward(
      NDArray ids,
      int offset,
      NDArray bias,
      ai.djl.pytorch.jni.IValue cache,
      int cacheRow,
      boolean keep,
      int from,
      int to,
      Splice splice) {
    int end = offset + Math.toIntExact(ids.getShape().get(1));
    return script()
        .forward(ids, offset, bias, scriptRope(end), cache, cacheRow, keep, from, to, splice);
  }

  /** The weights in forward.torchscript's order: wte, each layer's six, ln_f, the LM head. */
  private List<NDArray> scriptWeights() {
    List<NDArray> weights = new ArrayList<>();
    weights.add(wte);
    for (Block l : layers) {
      weights.addAll(l.scriptWeights());
    }
    weights.add(lnF);
    weights.add(lmHead);
    return weights;
  }

  /**
   * Another TorchScript forward over this network's weights, computing in {@code precision},
   * packing none; the caller closes it (PrecisionBenchmark compares the two precisions on one
   * network).
   */
  TorchScriptForward newScript(Precision precision) {
    return new TorchScriptForward(
        config, (ai.djl.pytorch.engine.PtNDManager) manager, scriptWeights(), false, precision);
  }

  private TorchScriptForward script() {
    if (script == null) {
      List<NDArray> weights = scriptWeights();
      boolean pack =
          packable
              && config.moe() == null // MKL packing is the dense forward's (its 2-D projections)
              && manager.getDevice().equals(Device.cpu())
              && config.parameterCount() <= TorchScriptForward.PACK_MAX_PARAMETERS;
      script =
          new TorchScriptForward(
              config, (ai.djl.pytorch.engine.PtNDManager) manager, weights, pack, precision);
    }
    return script;
  }

  /** The RoPE tables of the TorchScript forward for at least {@code t} positions. */
  synchronized NDArray[] scriptRope(int t) {
    if (scriptRope == null || scriptRope[0].getShape().get(0) < t) {
      int doubled = scriptRope == null ? t : 2 * (int) scriptRope[0].getShape().get(0);
      int length = Math.max(t, Math.min(doubled, config.maxSequenceLength()));
      float[][] tables = ropeTables(length);
      Shape shape = new Shape(length, 1, config.headDim());
      scriptRope =
          new NDArray[] {manager.create(tables[0], shape), manager.create(tables[2], shape)};
      NDScope.unregister(scriptRope); // kept beyond the forward's scope, closed with the manager
    }
    return scriptRope;
  }

  /** How many row counts' packed weights the TorchScript forward keeps now. */
  int mklPackings() {
    return script == null ? 0 : script.packings();
  }

  /**
   * Makes the TorchScript forward compute in {@code precision} ({@link Precision}); called before
   * the first forward. bfloat16 is for inference on the dense forward: the forward then holds
   * bfloat16 copies of the weights beside the float32 ones (which the op-by-op forward and training
   * use).
   */
  public synchronized LladaNetwork computeIn(Precision precision) {
    if (precision == this.precision) {
      return this;
    }
    if (script != null) {
      throw new IllegalStateException("the forward is built; choose its precision before it runs");
    }
    if (wte.getDataType() != DataType.FLOAT32) {
      throw new IllegalArgumentException(
          "this network holds its weights in " + this.precision.flag() + "; load it in f32");
    }
    TorchScriptForward.requireSupported(config, precision);
    this.precision = precision;
    return this;
  }

  /** The type the TorchScript forward computes in. */
  public Precision precision() {
    return precision;
  }

  /** Whether the TorchScript forward, once built, runs on MKL-packed weights. */
  boolean mklPacked() {
    return script != null && script.packed();
  }

  /** RMSNorm: x · rsqrt(mean(x²) + eps), then × weight (no bias, no 1+w). */
  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray variance = x.square().mean(new int[] {-1}, true);
    // the exponent is a graph scalar: pow's backward reads it (GraphScalar)
    NDArray exponent = GraphScalar.of(x, -0.5);
    return x.mul(variance.add(config.rmsNormEps()).pow(exponent)).mul(weight);
  }

  private static NDArray linear(NDArray x, NDArray weight) {
    return ExpertDispatch.linear(x, weight);
  }

  private NDArray attention(NDArray a, Block layer, NDArray[] rope, NDArray bias, int b, int t) {
    int heads = config.nHeads();
    int kvHeads = config.nKvHeads();
    int hd = config.headDim();
    long d = (long) heads * hd;
    long kv = (long) kvHeads * hd;
    NDList qkv = linear(a, layer.qkv()).split(new long[] {d, d + kv}, 2);
    NDArray q = qkv.get(0).reshape(b, t, heads, hd);
    NDArray k = qkv.get(1).reshape(b, t, kvHeads, hd);
    if (layer.qNorm() != null) { // LLaDA-MoE: RMSNorm of each head before RoPE (llada-spec §7.1)
      q = rmsNorm(q, layer.qNorm());
      k = rmsNorm(k, layer.kNorm());
    }
    // RoPE in the (B, T, heads, hd) layout; 1/sqrt(hd) is folded into the query tables
    q = rotate(q, rope[2], rope[3]).transpose(0, 2, 1, 3);
    NDArray kT = rotate(k, rope[0], rope[1]).transpose(0, 2, 3, 1);
    NDArray v = qkv.get(2).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);
    if (kvHeads != heads) { // grouped-query: kv head j serves query heads j*g .. j*g+g-1
      kT = kT.repeat(1, heads / kvHeads);
      v = v.repeat(1, heads / kvHeads);
    }
    NDArray scores = q.matMul(kT); // (B, H, T, T), no causal mask: bidirectional
    if (bias != null) {
      scores = scores.add(bias);
    }
    NDArray context = scores.softmax(3).matMul(v); // (B, H, T, hd)
    return linear(context.transpose(0, 2, 1, 3).reshape(b, t, d), layer.attnOut());
  }

  /** x·cos + rotate_half(x)·sin with rotate_half([x1 | x2]) = [−x2 | x1] (NeoX convention). */
  private NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
    return x.mul(cos).add(x.matMul(rotateHalf).mul(sin));
  }

  /**
   * The op-by-op forward's tables (T, 1, headDim): cos and sin, then the same two scaled by
   * 1/sqrt(headDim) for the queries.
   */
  private NDArray[] rope(NDManager m, int t) {
    float[][] tables = ropeTables(t);
    float scale = (float) (1.0 / Math.sqrt(config.headDim()));
    float[] cosQ = tables[0].clone();
    float[] sinQ = tables[1].clone();
    for (int i = 0; i < cosQ.length; i++) {
      cosQ[i] *= scale;
      sinQ[i] *= scale;
    }
    Shape shape = new Shape(t, 1, config.headDim());
    return new NDArray[] {
      m.create(tables[0], shape), m.create(tables[1], shape),
      m.create(cosQ, shape), m.create(sinQ, shape)
    };
  }

  /**
   * RoPE tables for positions 0 .. t − 1, each [t · headDim]: cos, sin, and sin with its first half
   * negated (rotate_half(x) · sin = roll(x, hd/2) · that table). angle[p, j] = p / theta^(2j/hd),
   * repeated for both halves (llada-spec §1.2).
   */
  private float[][] ropeTables(int t) {
    int hd = config.headDim();
    int half = hd / 2;
    float[] cos = new float[t * hd];
    float[] sin = new float[t * hd];
    float[] sinSigned = new float[t * hd];
    for (int j = 0; j < half; j++) {
      float invFreq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * j) / hd));
      for (int p = 0; p < t; p++) {
        float angle = p * invFreq; // float32, as torch computes freqs
        float c = (float) Math.cos(angle);
        float s = (float) Math.sin(angle);
        cos[p * hd + j] = cos[p * hd + j + half] = c;
        sin[p * hd + j] = sin[p * hd + j + half] = s;
        sinSigned[p * hd + j] = -s;
        sinSigned[p * hd + j + half] = s;
      }
    }
    return new float[][] {cos, sin, sinSigned};
  }

  /**
   * {@code h} (B, T, d) with the splice's rows at its positions: a gather from [features; 0] picks
   * each position's replacement, and a 0/1 mask chooses between it and the token embedding (only
   * gathers and products, so gradients reach both).
   */
  private static NDArray spliced(NDArray h, Splice splice, int b, int t) {
    long d = h.getShape().get(2);
    int spliced = splice.rows().length;
    long[] source = new long[b * t];
    float[] chosen = new float[b * t];
    java.util.Arrays.fill(source, spliced); // the zero row
    for (int i = 0; i < spliced; i++) {
      int r = splice.rows()[i];
      int p = splice.positions()[i];
      if (r < 0 || r >= b || p < 0 || p >= t) {
        throw new IllegalArgumentException(
            "splice position (" + r + ", " + p + ") is outside the " + b + " × " + t + " canvas");
      }
      source[r * t + p] = i;
      chosen[r * t + p] = 1;
    }
    NDManager m = h.getManager();
    NDArray rows =
        NDArrays.concat(new NDList(splice.features(), m.zeros(new Shape(1, d))), 0)
            .get(m.create(source))
            .reshape(b, t, d);
    NDArray mask = m.create(chosen, new Shape(b, t, 1));
    return h.mul(mask.neg().add(GraphScalar.of(mask, 1))).add(rows.mul(mask));
  }

  /** Makes the op-by-op forward run every expert on every token (the oracle); see the field. */
  LladaNetwork everyExpertDispatch(boolean on) {
    this.everyExpert = on;
    return this;
  }

  private NDArray feedForward(NDArray f, Block.FeedForward ffn, RouterStats stats) {
    if (ffn instanceof Block.RoutedExperts experts) {
      Shape shape = f.getShape();
      NDArray tokens = f.reshape(-1, shape.get(2));
      NDArray out =
          everyExpert
              ? ExpertDispatch.everyExpert(tokens, experts)
              : ExpertDispatch.grouped(tokens, experts, stats);
      return out.reshape(shape);
    }
    Block.SwiGlu swiGlu = (Block.SwiGlu) ffn;
    return ExpertDispatch.swiGlu(f, swiGlu.gateUp(), swiGlu.down()); // down(SiLU(g) ⊙ u)
  }

  /**
   * The parameters under the checkpoint's names (stacked ones split again), as float32 data, in
   * checkpoint order.
   */
  public List<SafetensorsWriter.Tensor> toCheckpointTensors(DType dtype) {
    if (wte.getDataType() != DataType.FLOAT32) {
      throw new IllegalStateException(
          "this network holds its weights in "
              + precision.flag()
              + " for inference; load it in"
              + " f32 to export it");
    }
    Map<String, float[]> data = architecture.unstackAll(parameters);
    List<SafetensorsWriter.Tensor> out = new ArrayList<>();
    architecture
        .checkpointShapes()
        .forEach(
            (name, shape) ->
                out.add(new SafetensorsWriter.Tensor(name, shape, data.get(name), dtype)));
    return out;
  }

  /** The family's parameter layout. */
  Architecture architecture() {
    return architecture;
  }

  /** Frees the TorchScript forward and every array of the network; a second call does nothing. */
  @Override
  public void close() {
    if (script != null) {
      script.close();
    }
    manager.close(); // idempotent in DJL
  }
}

package dev.llada.core.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
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

  private final LladaNetwork network;
  private final Path path;

  private DjlMaskPredictor(LladaNetwork network, Path path) {
    this.network = network;
    this.path = path;
  }

  /** The same predictor, running the given forward. */
  public DjlMaskPredictor using(Path forward) {
    return new DjlMaskPredictor(network, forward);
  }

  /**
   * Loads {@code config.json} and the safetensors weights of {@code modelDirectory} onto {@code
   * device} ({@code cpu}, {@code gpu0}, ...), checking every name and shape first.
   */
  public static DjlMaskPredictor load(java.nio.file.Path modelDirectory, String device) {
    return load(modelDirectory, device, LladaNetwork.mklPackByDefault());
  }

  /**
   * As {@link #load(java.nio.file.Path, String)}, choosing whether the TorchScript forward may run
   * on MKL-packed weights ({@code -Dllada.mkl_pack} decides for the other loads).
   */
  public static DjlMaskPredictor load(
      java.nio.file.Path modelDirectory, String device, boolean mklPack) {
    LladaConfig config = LladaConfig.read(modelDirectory);
    try (Checkpoint checkpoint = Checkpoint.open(modelDirectory)) {
      return new DjlMaskPredictor(
          LladaNetwork.load(config, checkpoint, prepare(device), mklPack), defaultPath());
    }
  }

  /** Loads from an open checkpoint (which may be closed afterwards). */
  public static DjlMaskPredictor load(LladaConfig config, Checkpoint checkpoint, String device) {
    return new DjlMaskPredictor(
        LladaNetwork.load(config, checkpoint, prepare(device)), defaultPath());
  }

  /** The device, with the natives loaded and autograd off on this thread. */
  private static Device prepare(String device) {
    Device target = device(device);
    Engine.getEngine("PyTorch"); // loads the natives before the first JNI call
    JniUtils.setGradMode(false); // inference only; grad mode is per thread (djl.md §4)
    return target;
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
    NDManager kept = network.manager().newSubManager(); // owns the logits once returned
    try (NDScope scope = new NDScope();
        NDManager m = network.manager().newSubManager()) {
      NDArray tokenIds = m.create(ids, new Shape(b, t));
      NDArray bias = paddingBias(m, attentionMask, b, t);
      NDArray logits =
          path == Path.TORCHSCRIPT
              ? network.scriptedForward(tokenIds, bias, from, to)
              : network.forward(tokenIds, bias, from, to);
      // no copy into the heap: the Logits view the tensor's memory and free it when closed. The
      // tensor leaves the forward's scope and manager first; a host copy, where DJL has to make
      // one (another device, a non-contiguous result), lands in the same manager.
      NDScope.unregister(logits);
      logits.attach(kept);
      FloatBuffer data = logits.toByteBuffer(true).asFloatBuffer();
      return Logits.ofNative(b, to - from, config.embeddingSize(), data, kept::close, kept::isOpen);
    } catch (RuntimeException | Error e) {
      kept.close();
      throw e;
    }
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

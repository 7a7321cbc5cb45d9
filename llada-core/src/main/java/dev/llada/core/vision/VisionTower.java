package dev.llada.core.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.GraphScalar;
import dev.llada.core.model.LladaNames;
import dev.llada.core.weights.Checkpoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LLaDA-V's image path, op by op on DJL (llada-spec §8): a SigLIP vision encoder — patch embedding
 * (a stride-{@code patch} convolution with bias), learned position embeddings (no class token),
 * pre-LayerNorm blocks of bidirectional multi-head attention and a GELU (tanh) MLP, all with biases
 * — run to the selected layer (−2 by default), then the {@code mlp2x_gelu} projector (Linear, GELU,
 * Linear) into the language model's width. Tensor names are Hugging Face's {@code
 * SiglipVisionModel} names under a prefix, and {@code <projector>.0/.2} for the projector.
 */
public final class VisionTower {

  /** LLaDA-V's prefix of the SigLIP tower's tensors (docs/research/llada-v-layout.md §1b). */
  public static final String TOWER = "model.vision_tower.vision_tower.vision_model.";

  /** LLaDA-V's prefix of the projector's tensors (§1c). */
  public static final String PROJECTOR = "model.mm_projector.";

  /** The learned row appended after an image's features under {@code spatial_unpad} (§1c). */
  public static final String NEWLINE = "model.image_newline";

  private final VisionConfig config;
  private final Map<String, NDArray> w;
  private final String tower;
  private final String projector;
  private final boolean newline;

  private VisionTower(
      VisionConfig config,
      Map<String, NDArray> weights,
      String tower,
      String projector,
      boolean newline) {
    this.config = config;
    this.w = weights;
    this.tower = tower;
    this.projector = projector;
    this.newline = newline;
  }

  /**
   * A freshly initialised tower, projector and (with {@code newline}) image newline under LLaDA-V's
   * names, for training: matrices, patch and position embeddings N(0, 0.02), biases 0, LayerNorms
   * (1, 0), the newline N(0, 0.02).
   */
  public static VisionTower initialize(
      VisionConfig c, int lmHidden, boolean newline, NDManager manager, long seed) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    Map<String, long[]> shapes = expectedShapes(c, TOWER, PROJECTOR, lmHidden, c.hidden());
    if (newline) {
      shapes.put(NEWLINE, new long[] {lmHidden});
    }
    Map<String, NDArray> weights = new LinkedHashMap<>();
    shapes.forEach(
        (name, shape) -> {
          int n = Math.toIntExact(java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b));
          float[] data = new float[n];
          boolean norm = name.contains("layer_norm") && name.endsWith(".weight");
          boolean bias = name.endsWith(".bias");
          for (int i = 0; i < n; i++) {
            data[i] = norm ? 1f : bias ? 0f : (float) (0.02 * random.nextGaussian());
          }
          NDArray array = manager.create(data, new Shape(shape));
          array.setName(name);
          weights.put(name, array);
        });
    return new VisionTower(c, weights, TOWER, PROJECTOR, newline);
  }

  /**
   * Loads LLaDA-V's tower, projector and (with {@code newline}) image newline from {@code
   * checkpoint} under its published names.
   */
  public static VisionTower load(
      VisionConfig c, Checkpoint checkpoint, int lmHidden, boolean newline, NDManager manager) {
    VisionTower t = load(c, checkpoint, TOWER, PROJECTOR, lmHidden, manager);
    if (!newline) {
      return t;
    }
    LladaNames.validate(
        checkpoint,
        Map.of(NEWLINE, new long[] {lmHidden}),
        true,
        "the image newline",
        "its config",
        "the LM's hidden_size");
    try (NDArray mapped =
        manager.create(
            checkpoint.float32(NEWLINE),
            new Shape(lmHidden),
            ai.djl.ndarray.types.DataType.FLOAT32)) {
      t.w.put(NEWLINE, mapped.duplicate());
    }
    return new VisionTower(c, t.w, TOWER, PROJECTOR, true);
  }

  /** Every tensor by its checkpoint name, in checkpoint order (trainable, for training). */
  public Map<String, NDArray> parameters() {
    return w;
  }

  /** Whether {@link #NEWLINE} follows each image's features. */
  public boolean newline() {
    return newline;
  }

  /** Positions one image takes in the language model's input: its patches, plus the newline. */
  public int tokensPerImage() {
    return config.patches() + (newline ? 1 : 0);
  }

  /**
   * The rows that replace an image's placeholders (B · {@link #tokensPerImage()}, LM width): the
   * projected features of each image of {@code pixels} (B, 3, H, W), each followed by the newline
   * row when the model has one — LLaDA-V's single-crop path under {@code spatial_unpad}
   * (llava_arch.py: the newline appended once after the 729 features).
   */
  public NDArray imageTokens(NDArray pixels) {
    NDArray projected = project(features(pixels)); // (B, patches, d)
    long b = projected.getShape().get(0);
    long d = projected.getShape().get(2);
    if (newline) {
      // built from the projected rows, so it lives in their manager, not the weights' (a leak per
      // request otherwise); the add broadcasts the newline and carries its gradient
      NDArray row = projected.get(new ai.djl.ndarray.index.NDIndex(":, 0:1, :")).zerosLike();
      row = row.add(w.get(NEWLINE));
      projected = ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(projected, row), 1);
    }
    return projected.reshape(b * tokensPerImage(), d);
  }

  /**
   * Every tensor the tower (to the selected layer, so later layers and the post-layernorm may be
   * absent) and the projector need, with its shape.
   */
  public static Map<String, long[]> expectedShapes(
      VisionConfig c, String tower, String projector, int lmHidden, int mmHidden) {
    long h = c.hidden();
    Map<String, long[]> s = new LinkedHashMap<>();
    s.put(tower + "embeddings.patch_embedding.weight", new long[] {h, 3, c.patch(), c.patch()});
    s.put(tower + "embeddings.patch_embedding.bias", new long[] {h});
    s.put(tower + "embeddings.position_embedding.weight", new long[] {c.patches(), h});
    for (int i = 0; i < c.layersRun(); i++) {
      String l = tower + "encoder.layers." + i + ".";
      for (String n : List.of("layer_norm1", "layer_norm2")) {
        s.put(l + n + ".weight", new long[] {h});
        s.put(l + n + ".bias", new long[] {h});
      }
      for (String p : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
        s.put(l + "self_attn." + p + ".weight", new long[] {h, h});
        s.put(l + "self_attn." + p + ".bias", new long[] {h});
      }
      s.put(l + "mlp.fc1.weight", new long[] {c.intermediate(), h});
      s.put(l + "mlp.fc1.bias", new long[] {c.intermediate()});
      s.put(l + "mlp.fc2.weight", new long[] {h, c.intermediate()});
      s.put(l + "mlp.fc2.bias", new long[] {h});
    }
    if (mmHidden != c.hidden()) {
      throw new ModelFormatException(
          "mm_hidden_size " + mmHidden + " differs from the tower's hidden_size " + c.hidden());
    }
    s.put(projector + "0.weight", new long[] {lmHidden, h});
    s.put(projector + "0.bias", new long[] {lmHidden});
    s.put(projector + "2.weight", new long[] {lmHidden, lmHidden});
    s.put(projector + "2.bias", new long[] {lmHidden});
    return s;
  }

  /**
   * Loads the tower and projector from {@code checkpoint} into {@code manager}, checking every name
   * and shape first (the exception names each tensor at fault).
   */
  public static VisionTower load(
      VisionConfig c,
      Checkpoint checkpoint,
      String tower,
      String projector,
      int lmHidden,
      NDManager manager) {
    Map<String, long[]> expected = expectedShapes(c, tower, projector, lmHidden, c.hidden());
    // the language model's tensors share the checkpoint: others are allowed
    LladaNames.validate(
        checkpoint, expected, true, "the vision tower", "its config", "the vision config");
    Map<String, NDArray> weights = new LinkedHashMap<>();
    expected.forEach(
        (name, shape) -> {
          // copied out of the mapping, which dies with the checkpoint (as LladaNetwork.load)
          try (NDArray mapped =
              manager.create(
                  checkpoint.float32(name),
                  new Shape(shape),
                  ai.djl.ndarray.types.DataType.FLOAT32)) {
            weights.put(name, mapped.duplicate());
          }
        });
    return new VisionTower(c, weights, tower, projector, false);
  }

  public VisionConfig config() {
    return config;
  }

  /** The selected layer's patch features (B, patches, hidden) of {@code pixels} (B, 3, H, W). */
  public NDArray features(NDArray pixels) {
    int p = config.patch();
    NDArray x =
        pixels
            .getNDArrayInternal()
            .convolution(
                pixels,
                w.get(tower + "embeddings.patch_embedding.weight"),
                w.get(tower + "embeddings.patch_embedding.bias"),
                new Shape(p, p),
                new Shape(0, 0),
                new Shape(1, 1),
                1)
            .singletonOrThrow(); // (B, hidden, grid, grid)
    long b = x.getShape().get(0);
    x = x.reshape(b, config.hidden(), config.patches()).transpose(0, 2, 1); // row-major patches
    x = x.add(w.get(tower + "embeddings.position_embedding.weight"));
    for (int i = 0; i < config.layersRun(); i++) {
      String l = tower + "encoder.layers." + i + ".";
      x = x.add(attention(layerNorm(x, l + "layer_norm1"), l + "self_attn.", b));
      x = x.add(mlp(layerNorm(x, l + "layer_norm2"), l + "mlp."));
    }
    return x;
  }

  /** The projector: Linear → GELU (erf) → Linear, (…, hidden) → (…, LM width). */
  public NDArray project(NDArray features) {
    NDArray h = linear(features, projector + "0");
    return linear(h.getNDArrayInternal().gelu(), projector + "2");
  }

  private NDArray layerNorm(NDArray x, String name) {
    return x.getNDArrayInternal()
        .layerNorm(
            x,
            new Shape(config.hidden()),
            w.get(name + ".weight"),
            w.get(name + ".bias"),
            (float) config.layerNormEps())
        .singletonOrThrow();
  }

  private NDArray linear(NDArray x, String name) {
    return x.getNDArrayInternal()
        .linear(x, w.get(name + ".weight"), w.get(name + ".bias"))
        .singletonOrThrow();
  }

  /** Bidirectional multi-head attention with biases, scaled by 1/√head_dim. */
  private NDArray attention(NDArray a, String prefix, long b) {
    int heads = config.heads();
    int hd = config.hidden() / heads;
    long n = a.getShape().get(1);
    NDArray q = linear(a, prefix + "q_proj").reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
    NDArray k = linear(a, prefix + "k_proj").reshape(b, n, heads, hd).transpose(0, 2, 3, 1);
    NDArray v = linear(a, prefix + "v_proj").reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
    NDArray scores = q.matMul(k).div(GraphScalar.of(q, Math.sqrt(hd))); // graph scalars: ADR 0014
    NDArray context =
        scores.softmax(3).matMul(v).transpose(0, 2, 1, 3).reshape(b, n, config.hidden());
    return linear(context, prefix + "out_proj");
  }

  /** fc2(GELU_tanh(fc1(x))): SigLIP's {@code gelu_pytorch_tanh}. */
  private NDArray mlp(NDArray x, String prefix) {
    NDArray h = linear(x, prefix + "fc1");
    NDArray cube = h.pow(GraphScalar.of(h, 3)).mul(GraphScalar.of(h, 0.044715));
    NDArray inner = h.add(cube).mul(GraphScalar.of(h, Math.sqrt(2 / Math.PI)));
    NDArray gelu = h.mul(inner.tanh().add(GraphScalar.of(h, 1))).mul(GraphScalar.of(h, 0.5));
    return linear(gelu, prefix + "fc2");
  }
}

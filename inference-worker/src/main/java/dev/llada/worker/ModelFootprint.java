package dev.llada.worker;

import dev.llada.core.config.LladaConfig;

/**
 * What a model holds on its device while it serves (issue #16 item 3, memory admission): its
 * weights in float32 (whatever dtype the files hold) and the working set of a full batch — {@code
 * maxBatch} rows of the whole context. An upper bound, so that a model admitted never runs out:
 *
 * <ul>
 *   <li>KV caches (the fast sampler's): {@code 2 · layers · context · kvDim} per row;
 *   <li>one layer's attention scores, {@code heads · context²} per row (the forward materialises
 *       them);
 *   <li>one layer's projections, {@code context · (4·d + 2·kvDim + 3·mlp)} per row;
 *   <li>the logits of one forward and their softmax, at most the batcher's bound ({@code
 *       maxLogitsValues}) whatever the vocabulary.
 * </ul>
 *
 * @param weightBytes the parameters in float32
 * @param workingBytes caches and activations of a full batch
 */
public record ModelFootprint(long weightBytes, long workingBytes) {

  private static final long F32 = Float.BYTES;

  /** The footprint of {@code config} served {@code maxBatch} rows at a time. */
  public static ModelFootprint of(LladaConfig config, int maxBatch, long maxLogitsValues) {
    return of(config, maxBatch, maxLogitsValues, F32);
  }

  /** As {@link #of(LladaConfig, int, long)}, each weight holding {@code bytesPerWeight} bytes. */
  public static ModelFootprint of(
      LladaConfig config, int maxBatch, long maxLogitsValues, long bytesPerWeight) {
    long rows = maxBatch;
    long context = config.maxSequenceLength();
    long d = config.dModel();
    long kvDim = (long) config.nKvHeads() * config.headDim();
    long kvCache = rows * 2 * config.nLayers() * context * kvDim;
    long scores = rows * config.nHeads() * context * context;
    // an MoE token runs top_k experts, each on its gathered copy of the token (in and out), plus
    // its router's scores
    long ffn =
        config.moe() == null
            ? 3L * config.mlpHiddenSize()
            : config.moe().topK() * (3L * config.mlpHiddenSize() + 2 * d) + config.moe().experts();
    long projections = rows * context * (4 * d + 2 * kvDim + ffn);
    long logits = 2 * Math.min(maxLogitsValues, rows * context * config.vocabSize());
    return new ModelFootprint(
        bytesPerWeight * config.parameterCount(), F32 * (kvCache + scores + projections + logits));
  }

  /**
   * A LLaDA-V model's footprint: its language model's, plus the tower, projector and newline in
   * float32 and the tower's working set on {@code maxBatch} images at a time (one layer's
   * projections and attention scores over the patches, and the projected rows).
   */
  public static ModelFootprint of(
      dev.llada.core.vision.VisionModelConfig config, int maxBatch, long maxLogitsValues) {
    ModelFootprint lm = of(config.language(), maxBatch, maxLogitsValues);
    long visual = 0;
    var language = dev.llada.core.model.LladaNetwork.checkpointShapes(config.language()).keySet();
    for (var e : dev.llada.core.vision.VisionCheckpoint.expectedShapes(config).entrySet()) {
      if (!language.contains(e.getKey())) { // the tower's, the projector's, the newline's
        long n = 1;
        for (long x : e.getValue()) {
          n *= x;
        }
        visual += n;
      }
    }
    var v = config.vision();
    long patches = v.patches();
    long tower =
        (long) maxBatch
            * patches
            * (4L * v.hidden()
                + v.intermediate()
                + v.heads() * patches
                + 2L * config.language().dModel());
    return new ModelFootprint(lm.weightBytes() + F32 * visual, lm.workingBytes() + F32 * tower);
  }

  /** Weights and working set together: what admission reserves. */
  public long bytes() {
    return weightBytes + workingBytes;
  }
}

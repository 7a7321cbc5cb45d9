package dev.llada.core.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Forward time per token of an LLaDA-MoE against what it should be compared with (issue #19), all
 * measured in one process, on random weights (GPT-2 init), one canvas of B × L tokens:
 *
 * <ul>
 *   <li>the MoE through its TorchScript forward (experts grouped, one product per expert);
 *   <li>a dense LLaDA of equal <b>active</b> parameters (SwiGLU inner size top_k × expert size),
 *       through the dense TorchScript forward without MKL packing, as the MoE has none;
 *   <li>a dense LLaDA of equal <b>total</b> parameters (inner size experts × expert size);
 *   <li>the MoE op by op with the grouped dispatch, and op by op computing every expert on every
 *       token and masking (the oracle) — the same machinery, so their ratio is the dispatch's.
 * </ul>
 *
 * Each forward is timed {@code repeats} times after {@code warmup} untimed calls; the median is
 * reported.
 */
public final class MoeBenchmark {

  /** One measured model. */
  public record Row(
      String model, long totalParameters, long activeParameters, double msPerForward) {
    public double microsPerToken(int tokens) {
      return msPerForward * 1000 / tokens;
    }
  }

  private MoeBenchmark() {}

  /** The dense config with SwiGLU inner size {@code ff} and {@code moe}'s other dimensions. */
  static LladaConfig dense(LladaConfig moe, int ff) {
    return new LladaConfig(
        moe.dModel(),
        moe.nHeads(),
        moe.nKvHeads(),
        moe.nLayers(),
        ff,
        moe.vocabSize(),
        moe.embeddingSize(),
        moe.ropeTheta(),
        moe.rmsNormEps(),
        moe.maxSequenceLength(),
        moe.maskTokenId(),
        moe.eosTokenId(),
        moe.padTokenId());
  }

  /** Measures the five forwards of {@code moe}'s shape on a B × L canvas. */
  public static List<Row> run(LladaConfig moe, int batch, int length, int warmup, int repeats) {
    MoeSpec spec = moe.moe();
    if (spec == null) {
      throw new IllegalArgumentException("the benchmark needs an MoE config");
    }
    List<Row> rows = new ArrayList<>();
    try (LladaNetwork network = LladaNetwork.initialize(moe, Device.cpu(), 19)) {
      long[] ids = tokens(moe, batch, length);
      rows.add(
          time(
              "MoE, TorchScript (grouped experts)",
              moe,
              warmup,
              repeats,
              network,
              m ->
                  network.scriptedForward(
                      m.create(ids, new Shape(batch, length)), null, 0, length)));
      rows.add(
          time(
              "MoE, op by op (grouped experts)",
              moe,
              warmup,
              repeats,
              network,
              m -> network.forward(m.create(ids, new Shape(batch, length)), null, 0, length)));
      network.everyExpertDispatch(true);
      rows.add(
          time(
              "MoE, op by op, every expert on every token (oracle)",
              moe,
              warmup,
              repeats,
              network,
              m -> network.forward(m.create(ids, new Shape(batch, length)), null, 0, length)));
    }
    int[] inner = {spec.topK() * spec.expertHiddenSize(), spec.experts() * spec.expertHiddenSize()};
    String[] names = {"dense, equal active parameters", "dense, equal total parameters"};
    for (int i = 0; i < 2; i++) {
      LladaConfig c = dense(moe, inner[i]);
      try (LladaNetwork network = LladaNetwork.initialize(c, Device.cpu(), 19)) {
        long[] ids = tokens(c, batch, length);
        rows.add(
            time(
                names[i] + " (SwiGLU " + inner[i] + "), TorchScript",
                c,
                warmup,
                repeats,
                network,
                m ->
                    network.scriptedForward(
                        m.create(ids, new Shape(batch, length)), null, 0, length)));
      }
    }
    return rows;
  }

  /** A forward of a canvas, made in the given manager (closed after each call). */
  interface Forward {
    NDArray call(NDManager m);
  }

  private static Row time(
      String name, LladaConfig c, int warmup, int repeats, LladaNetwork network, Forward f) {
    double[] ms = new double[repeats];
    for (int i = -warmup; i < repeats; i++) {
      try (NDManager m = network.manager().newSubManager()) {
        long t0 = System.nanoTime();
        NDArray logits = f.call(m);
        logits.toFloatArray(); // wait for it and read it, as a sampler would (at least one value)
        double elapsed = (System.nanoTime() - t0) / 1e6;
        if (i >= 0) {
          ms[i] = elapsed;
        }
      }
    }
    Arrays.sort(ms);
    return new Row(name, c.parameterCount(), c.activeParameterCount(), ms[repeats / 2]);
  }

  private static long[] tokens(LladaConfig c, int batch, int length) {
    SplittableRandom random = new SplittableRandom(7);
    long[] ids = new long[batch * length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = random.nextInt(c.vocabSize());
    }
    return ids;
  }
}

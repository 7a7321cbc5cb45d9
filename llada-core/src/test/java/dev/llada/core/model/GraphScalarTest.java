package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * A scalar operand that the backward reads must outlive the op (GraphScalar): here the garbage
 * collector runs and the freed memory is overwritten between the forward and the backward. With
 * DJL's {@code x.mul(3f)} in place of the graph scalar this harness measured a gradient of
 * −7,939,256.5 instead of 3 (docs/adr/0014).
 */
class GraphScalarTest {

  /** d/dx Σ op(x, 3) after the scalar's memory had every chance to be freed and reused. */
  static float[] gradient(BiFunction<NDArray, Float, NDArray> op) {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      NDArray x = m.create(new float[] {1, 2, 3, 4});
      x.setRequiresGradient(true);
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray y = op.apply(x, 3f).sum();
        for (int round = 0; round < 5; round++) {
          System.gc();
          List<ByteBuffer> litter = new ArrayList<>();
          for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4);
            b.putFloat(0, 1e30f);
            litter.add(b);
          }
          litter.clear();
        }
        gc.backward(y);
      }
      return x.getGradient().toFloatArray();
    }
  }

  @Test
  void aGraphScalarIsStillThereForTheBackward() {
    float[] g = gradient((x, c) -> x.mul(GraphScalar.of(x, c)));
    assertArrayEquals(new float[] {3, 3, 3, 3}, g, Arrays.toString(g));
    float[] p = gradient((x, c) -> x.pow(GraphScalar.of(x, c)));
    assertArrayEquals(new float[] {3, 12, 27, 48}, p, 1e-4f, Arrays.toString(p));
  }
}

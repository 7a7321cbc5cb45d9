package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * The loader's rule for the staging copy of a weight: closed once moved, never when the move
 * returned it itself (on a GPU manager {@code toDevice} does: closing it broke every GPU load).
 * Checked on the CPU with the same calls; the real check runs on a GPU machine (bin/gpu-smoke).
 */
class DeviceLoadRuleTest {

  @Test
  void aMovedArrayFreesItsStagingCopyButAnArrayMovedOntoItselfStaysOpen() {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      NDArray staged = m.create(new float[] {1, 2, 3});
      NDArray copy = staged.duplicate();
      assertSame(copy, LladaNetwork.adopt(staged, copy));
      assertThrows(IllegalStateException.class, staged::toFloatArray, "the staging copy is freed");
      NDArray same = m.create(new float[] {4, 5});
      NDArray moved = same.toDevice(same.getDevice(), false); // already there: itself
      assertSame(same, moved);
      assertSame(same, LladaNetwork.adopt(same, moved));
      same.toFloatArray(); // still open
      copy.toFloatArray();
    }
  }
}

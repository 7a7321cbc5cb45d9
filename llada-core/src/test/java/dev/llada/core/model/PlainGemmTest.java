package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDManager;
import org.junit.jupiter.api.Test;

/** The bench baseline computes the product it claims, into its own output, every call. */
class PlainGemmTest {

  @Test
  void writesTheProductIntoItsOwnOutput() {
    try (PtNDManager m = (PtNDManager) Engine.getEngine("PyTorch").newBaseManager();
        PlainGemm gemm = new PlainGemm(m, 5, 7, 3)) {
      NDArray[] abc = gemm.operands();
      gemm.run();
      float[] expected =
          abc[0]
              .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
              .matMul(abc[1].toType(ai.djl.ndarray.types.DataType.FLOAT64, false))
              .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
              .toFloatArray();
      float[] actual = abc[2].toFloatArray();
      assertEquals(expected.length, actual.length);
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-4 * (1 + Math.abs(expected[i])), "element " + i);
      }
      abc[0].muli(2); // a second call sees the new operands
      gemm.run();
      assertEquals(2 * actual[4], abc[2].toFloatArray()[4], 1e-4 * (1 + Math.abs(actual[4])));
    }
  }
}

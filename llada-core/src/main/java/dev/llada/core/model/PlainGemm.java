package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;

/**
 * The benchmark's baseline: C = A · B written into a C allocated once ({@code torch.mm(a, b,
 * out=c)}, one TorchScript call). A product that allocates its 4 MB result on every call makes the
 * allocator hand fresh pages to whatever runs next — on this project's VMs about a thousand page
 * faults (≈ 2 ms) charged to the next forward pass (docs/BENCHMARKS.md, "Page faults") — so the
 * baseline owns its output and leaves the heap as it found it.
 */
public final class PlainGemm implements AutoCloseable {

  private static final String SOURCE =
      """
      class M(Module):
        __parameters__ = []
        __buffers__ = []
        training : bool
        def forward(self: __torch__.M, a: Tensor, b: Tensor, c: Tensor) -> Tensor:
          return torch.mm(a, b, out=c)
      """;

  private final PtSymbolBlock module;
  private final NDArray a;
  private final NDArray b;
  private final NDArray c;

  /** Random normal A (m × k) and B (k × n) on the manager's device, C (m × n). */
  public PlainGemm(PtNDManager manager, long m, long k, long n) {
    module = TorchScriptForward.load(manager, SOURCE);
    a = manager.randomNormal(new Shape(m, k));
    b = manager.randomNormal(new Shape(k, n));
    c = manager.zeros(new Shape(m, n));
  }

  /** One product, completed (also on a GPU: one element is read back) before it returns. */
  public void run() {
    IValue[] args = {
      IValue.from((PtNDArray) a), IValue.from((PtNDArray) b), IValue.from((PtNDArray) c)
    };
    IValue out = module.forward(args);
    out.close();
    for (IValue v : args) {
      v.close();
    }
    try (NDArray corner = c.get(0, 0)) {
      corner.getFloat();
    }
  }

  /** The operands and the product, for tests. */
  NDArray[] operands() {
    return new NDArray[] {a, b, c};
  }

  @Override
  public void close() {
    module.close();
    a.close();
    b.close();
    c.close();
  }
}

package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import dev.llada.core.config.LladaConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The matrix products of one forward, each as the TorchScript forward runs it, for timing on their
 * own (the bench's {@code --parts}): the four projections of a block, the LM head, and the fused
 * attention of a block at (B, heads, L, head_dim). Their times summed, each times its count per
 * forward, estimate what the forward would take if everything else (norms, RoPE, SwiGLU, residual
 * adds) were free: how much of the forward's distance to a GEMM's rate its kernels alone account
 * for. An estimate, not a strict bound: every part is a call of its own, after other parts that may
 * have evicted its operands from the caches.
 */
public final class ForwardParts implements AutoCloseable {

  /** One product: what it is, how often a forward runs it, its FLOPs, and one timed call. */
  public record Part(String name, int perForward, double flops, Runnable call) {}

  private final List<PtSymbolBlock> modules = new ArrayList<>();
  private final List<NDArray> arrays = new ArrayList<>();
  private final List<IValue> operandLists = new ArrayList<>();
  private final List<Part> parts = new ArrayList<>();
  private final boolean packed;
  private final PtNDManager manager;

  /**
   * Random operands of the forward's shapes for {@code b} × {@code l} tokens; with {@code pack}
   * (pass what the model's forward does, {@link DjlMaskPredictor#mklPacked()}) the projections run
   * on weights packed for B·L rows ({@link TorchScriptForward}), where the libtorch has MKL.
   */
  public ForwardParts(PtNDManager m, LladaConfig c, int b, int l, boolean pack) {
    this.manager = m;
    long rows = (long) b * l;
    int d = c.dModel();
    int kv = c.nKvHeads() * c.headDim();
    int ff = c.mlpHiddenSize();
    PtSymbolBlock packer = null;
    if (pack) {
      try { // libtorch builds without MKL do not have the op: plain linear then, as the forward
        packer = load(m, source("return ops.mkl._mkl_reorder_linear_weight(x[0], " + rows + ")"));
      } catch (RuntimeException e) {
        packer = null;
      }
    }
    this.packed = packer != null;
    projection(m, "qkv", c.nLayers(), d, d + 2 * kv, b, l, packer);
    projection(m, "attn_out", c.nLayers(), d, d, b, l, packer);
    projection(m, "gate_up", c.nLayers(), d, 2 * ff, b, l, packer);
    projection(m, "ff_out", c.nLayers(), ff, d, b, l, packer);
    projection(m, "lm_head", 1, d, c.embeddingSize(), b, l, packer);
    // attention of one block: the fused kernel the forward calls, at (B, heads, L, head_dim)
    Shape heads = new Shape(b, c.nHeads(), l, c.headDim());
    IValue qkv =
        operands(
            keep(m.randomNormal(heads)), keep(m.randomNormal(heads)), keep(m.randomNormal(heads)));
    PtSymbolBlock sdpa =
        load(m, source("return torch.scaled_dot_product_attention(x[0], x[1], x[2])"));
    double flops = 2.0 * 2 * b * (double) l * l * c.nHeads() * c.headDim(); // scores, context
    parts.add(new Part("attention", c.nLayers(), flops, () -> run(sdpa, qkv)));
  }

  /** x (B, L, in) times W (out, in) transposed, packed for B·L rows where {@code packer} is. */
  private void projection(
      PtNDManager m, String name, int count, int in, int out, int b, int l, PtSymbolBlock packer) {
    long rows = (long) b * l;
    NDArray x = keep(m.randomNormal(new Shape(b, l, in)));
    NDArray w =
        keep(m.randomNormal(0, (float) (1 / Math.sqrt(in)), new Shape(out, in), DataType.FLOAT32));
    IValue args;
    PtSymbolBlock module;
    if (packer != null) {
      args = operands(x, keep(call(packer, w)), w);
      module = load(m, source("return ops.mkl._mkl_linear(x[0], x[1], x[2], None, " + rows + ")"));
    } else {
      args = operands(x, w);
      module = load(m, source("return torch.linear(x[0], x[1])"));
    }
    parts.add(new Part(name, count, 2.0 * rows * in * out, () -> run(module, args)));
  }

  /** The parts, in the order a block runs them, then the LM head, then attention. */
  public List<Part> parts() {
    return parts;
  }

  /** Whether the projections run on MKL-packed weights. */
  public boolean packed() {
    return packed;
  }

  /** FLOPs of one forward's products: the parts times their counts. */
  public double forwardFlops() {
    return parts.stream().mapToDouble(p -> p.perForward() * p.flops()).sum();
  }

  private NDArray keep(NDArray a) {
    arrays.add(a);
    return a;
  }

  /** A call's argument list, built once (as the forward builds its weight list once). */
  private IValue operands(NDArray... tensors) {
    IValue list =
        IValue.listFrom(
            java.util.Arrays.stream(tensors).map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
    operandLists.add(list);
    return list;
  }

  private PtSymbolBlock load(PtNDManager m, String code) {
    PtSymbolBlock module = TorchScriptForward.load(m, code);
    modules.add(module);
    return module;
  }

  /** A module whose forward takes a list of tensors {@code x} and runs {@code body}. */
  private static String source(String body) {
    return """
        class M(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.M, x: List[Tensor]) -> Tensor:
            %s
        """
        .formatted(body);
  }

  /**
   * One call; its result is freed at once, as the forward frees its intermediates. Off the CPU one
   * element is read back, so that the call has completed when this returns.
   */
  private void run(PtSymbolBlock module, IValue operands) {
    IValue out = module.forward(new IValue[] {operands});
    try {
      if (!manager.getDevice().equals(ai.djl.Device.cpu())) {
        try (NDArray result = out.toTensor(manager);
            NDArray first = result.flatten().get(0)) {
          first.getFloat();
        }
      }
    } finally {
      out.close();
    }
  }

  private static NDArray call(PtSymbolBlock module, NDArray operand) {
    IValue list = IValue.listFrom((PtNDArray) operand);
    IValue out = module.forward(new IValue[] {list});
    try {
      return out.toTensor((PtNDManager) operand.getManager());
    } finally {
      out.close();
      list.close();
    }
  }

  @Override
  public void close() {
    operandLists.forEach(IValue::close);
    modules.forEach(PtSymbolBlock::close);
    arrays.forEach(NDArray::close);
  }
}

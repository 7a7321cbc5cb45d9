package dev.llada.core.model;

import ai.djl.ndarray.NDArray;

/**
 * A scalar operand for an op that autograd records. DJL's {@code x.mul(Number)} (and {@code div},
 * {@code pow}, {@code maximum} with a number) creates the scalar tensor, applies the op and closes
 * the scalar at once; on the CPU that tensor is a {@code from_blob} view of a direct buffer, and
 * the autograd graph keeps it for the backward (d(x·c)/dx needs c). Once the garbage collector
 * frees the buffer, the backward reads freed memory: gradients that differ between identical runs,
 * now and then by orders of magnitude (measured: a gradient norm of 5.7·10¹⁷ in a VRPO step). A
 * scalar made here belongs to the operand's manager and lives until that manager or the enclosing
 * scope closes, after the backward.
 */
public final class GraphScalar {

  private GraphScalar() {}

  /** {@code value} as a float32 scalar owned by {@code like}'s manager. */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().create((float) value);
  }
}

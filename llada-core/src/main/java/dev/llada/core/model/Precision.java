package dev.llada.core.model;

import java.util.Locale;

/**
 * The number type the TorchScript forward computes in. {@code FLOAT32} is the reference of every
 * exactness test; {@code BFLOAT16} is the type the published checkpoints ship in and the one GPUs
 * run fast: the weights are held in bfloat16 on the device, the residual stream and the products
 * are bfloat16, the RMSNorms and RoPE float32 (as the reference modeling upcasts them) and the
 * logits come back float32. Inference only, on the dense forward: a bfloat16 load holds the weights
 * in bfloat16 alone ({@link LladaNetwork#load(dev.llada.core.config.LladaConfig,
 * dev.llada.core.weights.Checkpoint, ai.djl.Device, boolean, Precision)}).
 */
public enum Precision {
  FLOAT32("f32"),
  BFLOAT16("bf16");

  private final String flag;

  Precision(String flag) {
    this.flag = flag;
  }

  /** The name the command line and the settings use: {@code f32} or {@code bf16}. */
  public String flag() {
    return flag;
  }

  /** {@code f32}/{@code float32} or {@code bf16}/{@code bfloat16}, any case. */
  public static Precision parse(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    return switch (n) {
      case "f32", "float32", "fp32" -> FLOAT32;
      case "bf16", "bfloat16" -> BFLOAT16;
      default ->
          throw new IllegalArgumentException(
              "dtype must be f32 or bf16, got '" + (name == null ? "" : name) + "'");
    };
  }
}

package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A family's parameters as data (issue #19): the checkpoint's tensor names and shapes, how the
 * network stacks them into fewer, larger parameters (q·k·v into one projection, gate·up into one,
 * an MoE block's experts into one [E, …] tensor each), how those split back into the checkpoint's
 * names, and the block each layer's parameters make. The forward ({@link LladaNetwork}) reads only
 * {@link Block}s and the three model-level tensors named here.
 */
abstract sealed class Architecture {

  final LladaConfig config;

  private Architecture(LladaConfig config) {
    this.config = config;
  }

  static Architecture of(LladaConfig config) {
    return switch (config.family()) {
      case LLADA -> new Dense(config, java.util.function.UnaryOperator.identity());
      case LLAVA_LLADA -> new Dense(config, LladaNames::llamaStyle);
      case LLADA_MOE -> new Moe(config);
    };
  }

  /** Every checkpoint tensor, in checkpoint order, with its shape. */
  abstract Map<String, long[]> checkpointShapes();

  abstract String embedding();

  abstract String finalNorm();

  abstract String lmHead();

  /** Whether a checkpoint tensor is a residual branch's output (initialised smaller). */
  abstract boolean residualOutput(String name);

  /**
   * The network's parameters from tensors under the checkpoint's names; the stacked-away separate
   * tensors are closed.
   */
  abstract Map<String, NDArray> stack(Map<String, NDArray> checkpoint);

  /** The checkpoint tensors a network parameter holds (itself, or its stacked parts). */
  abstract Map<String, float[]> unstack(String name, NDArray parameter);

  /** Layer {@code i}'s block over the network's parameters. */
  abstract Block block(int i, Map<String, NDArray> p);

  /**
   * The q, k and v checkpoint tensors ({@code prefix + "q_proj.weight"} …) of a stacked [d + 2·kv,
   * d] projection.
   */
  void unstackQkv(Map<String, float[]> out, String prefix, float[] values) {
    long d = config.dModel();
    long kv = (long) config.nKvHeads() * config.headDim();
    out.put(prefix + "q_proj.weight", rows(values, d, 0, d));
    out.put(prefix + "k_proj.weight", rows(values, d, d, d + kv));
    out.put(prefix + "v_proj.weight", rows(values, d, d + kv, d + 2 * kv));
  }

  /** Rows {@code [from, to)} of a row-major matrix with {@code cols} columns. */
  static float[] rows(float[] values, long cols, long from, long to) {
    return Arrays.copyOfRange(values, Math.toIntExact(from * cols), Math.toIntExact(to * cols));
  }

  static NDArray concat(int axis, NDArray... parts) {
    NDArray joined = NDArrays.concat(new NDList(parts), axis);
    for (NDArray part : parts) {
      part.close();
    }
    return joined;
  }

  /** The parts stacked along a new first axis; the parts are closed. */
  static NDArray stack(NDArray... parts) {
    NDArray stacked = NDArrays.stack(new NDList(parts), 0);
    for (NDArray part : parts) {
      part.close();
    }
    return stacked;
  }

  /**
   * LLaDA's dense block (llada-spec §1.4), q·k·v and gate·up stacked. The network's parameters keep
   * LLaDA's names; the checkpoint's are LLaDA's or, for LLaDA-V, {@code rename_checkpoint.py}'s
   * LLaMA-style ones ({@code names} maps the first to the second).
   */
  static final class Dense extends Architecture {

    private final java.util.function.UnaryOperator<String> names;

    Dense(LladaConfig config, java.util.function.UnaryOperator<String> names) {
      super(config);
      this.names = names;
    }

    static String qkvName(int layer) {
      return "model.transformer.blocks." + layer + ".qkv_proj.weight";
    }

    static String gateUpName(int layer) {
      return "model.transformer.blocks." + layer + ".gate_up_proj.weight";
    }

    @Override
    Map<String, long[]> checkpointShapes() {
      Map<String, long[]> shapes = new LinkedHashMap<>();
      LladaNames.expectedShapes(config)
          .forEach((name, shape) -> shapes.put(names.apply(name), shape));
      return shapes;
    }

    @Override
    String embedding() {
      return LladaNames.WTE;
    }

    @Override
    String finalNorm() {
      return LladaNames.LN_F;
    }

    @Override
    String lmHead() {
      return LladaNames.LM_HEAD;
    }

    @Override
    boolean residualOutput(String name) {
      return name.endsWith("attn_out.weight")
          || name.endsWith("self_attn.o_proj.weight")
          || name.endsWith("mlp.down_proj.weight")
          || (name.endsWith("ff_out.weight") && !name.equals(LladaNames.LM_HEAD));
    }

    @Override
    Map<String, NDArray> stack(Map<String, NDArray> checkpoint) {
      Map<String, NDArray> t = new java.util.HashMap<>(); // under LLaDA's names
      LladaNames.expectedShapes(config)
          .keySet()
          .forEach(name -> t.put(name, checkpoint.get(names.apply(name))));
      Map<String, NDArray> p = new LinkedHashMap<>();
      p.put(LladaNames.WTE, t.get(LladaNames.WTE));
      for (int i = 0; i < config.nLayers(); i++) {
        p.put(LladaNames.block(i, "attn_norm"), t.get(LladaNames.block(i, "attn_norm")));
        p.put(
            qkvName(i),
            concat(
                0,
                t.get(LladaNames.block(i, "q_proj")),
                t.get(LladaNames.block(i, "k_proj")),
                t.get(LladaNames.block(i, "v_proj"))));
        p.put(LladaNames.block(i, "attn_out"), t.get(LladaNames.block(i, "attn_out")));
        p.put(LladaNames.block(i, "ff_norm"), t.get(LladaNames.block(i, "ff_norm")));
        p.put(
            gateUpName(i),
            concat(
                0, t.get(LladaNames.block(i, "ff_proj")), t.get(LladaNames.block(i, "up_proj"))));
        p.put(LladaNames.block(i, "ff_out"), t.get(LladaNames.block(i, "ff_out")));
      }
      p.put(LladaNames.LN_F, t.get(LladaNames.LN_F));
      p.put(LladaNames.LM_HEAD, t.get(LladaNames.LM_HEAD));
      return p;
    }

    @Override
    Map<String, float[]> unstack(String name, NDArray parameter) {
      float[] values = parameter.toFloatArray();
      long d = config.dModel();
      long ff = config.mlpHiddenSize();
      Map<String, float[]> out = new LinkedHashMap<>();
      if (name.endsWith(".qkv_proj.weight")) {
        unstackQkv(out, name.replace("qkv_proj.weight", ""), values);
      } else if (name.endsWith(".gate_up_proj.weight")) {
        String prefix = name.replace("gate_up_proj.weight", "");
        out.put(prefix + "ff_proj.weight", rows(values, d, 0, ff));
        out.put(prefix + "up_proj.weight", rows(values, d, ff, 2 * ff));
      } else {
        out.put(name, values);
      }
      Map<String, float[]> named = new LinkedHashMap<>();
      out.forEach((n, v) -> named.put(names.apply(n), v));
      return named;
    }

    @Override
    Block block(int i, Map<String, NDArray> p) {
      return new Block(
          p.get(LladaNames.block(i, "attn_norm")),
          p.get(qkvName(i)),
          p.get(LladaNames.block(i, "attn_out")),
          null,
          null,
          p.get(LladaNames.block(i, "ff_norm")),
          new Block.SwiGlu(p.get(gateUpName(i)), p.get(LladaNames.block(i, "ff_out"))));
    }
  }

  /**
   * LLaDA-MoE's names (llada-spec §7.1): q·k·v stacked; each block's experts stacked into {@code
   * mlp.experts.gate_up_proj} [E, 2·ff, d] and {@code mlp.experts.down_proj} [E, d, ff].
   */
  static final class Moe extends Architecture {

    private final MoeSpec moe;

    Moe(LladaConfig config) {
      super(config);
      this.moe = config.moe();
    }

    static String qkvName(int layer) {
      return MoeNames.layer(layer, "self_attn.qkv_proj");
    }

    static String gateUpName(int layer) {
      return MoeNames.layer(layer, "mlp.experts.gate_up_proj");
    }

    static String downName(int layer) {
      return MoeNames.layer(layer, "mlp.experts.down_proj");
    }

    @Override
    Map<String, long[]> checkpointShapes() {
      return MoeNames.expectedShapes(config);
    }

    @Override
    String embedding() {
      return MoeNames.EMBED;
    }

    @Override
    String finalNorm() {
      return MoeNames.NORM;
    }

    @Override
    String lmHead() {
      return MoeNames.LM_HEAD;
    }

    @Override
    boolean residualOutput(String name) {
      return name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight");
    }

    @Override
    Map<String, NDArray> stack(Map<String, NDArray> t) {
      Map<String, NDArray> p = new LinkedHashMap<>();
      p.put(MoeNames.EMBED, t.get(MoeNames.EMBED));
      for (int i = 0; i < config.nLayers(); i++) {
        p.put(MoeNames.layer(i, "input_layernorm"), t.get(MoeNames.layer(i, "input_layernorm")));
        p.put(
            qkvName(i),
            concat(
                0,
                t.get(MoeNames.layer(i, "self_attn.q_proj")),
                t.get(MoeNames.layer(i, "self_attn.k_proj")),
                t.get(MoeNames.layer(i, "self_attn.v_proj"))));
        p.put(MoeNames.layer(i, "self_attn.o_proj"), t.get(MoeNames.layer(i, "self_attn.o_proj")));
        if (config.qkNorm()) {
          for (String norm : List.of("self_attn.q_norm", "self_attn.k_norm")) {
            p.put(MoeNames.layer(i, norm), t.get(MoeNames.layer(i, norm)));
          }
        }
        p.put(
            MoeNames.layer(i, "post_attention_layernorm"),
            t.get(MoeNames.layer(i, "post_attention_layernorm")));
        p.put(MoeNames.layer(i, "mlp.gate"), t.get(MoeNames.layer(i, "mlp.gate")));
        if (moe.expertBias()) {
          p.put(MoeNames.expertBias(i), t.get(MoeNames.expertBias(i)));
        }
        NDArray[] gateUp = new NDArray[moe.experts()];
        NDArray[] down = new NDArray[moe.experts()];
        for (int e = 0; e < moe.experts(); e++) {
          gateUp[e] =
              concat(
                  0,
                  t.get(MoeNames.expert(i, e, "gate_proj")),
                  t.get(MoeNames.expert(i, e, "up_proj")));
          down[e] = t.get(MoeNames.expert(i, e, "down_proj"));
        }
        p.put(gateUpName(i), stack(gateUp));
        p.put(downName(i), stack(down));
      }
      p.put(MoeNames.NORM, t.get(MoeNames.NORM));
      p.put(MoeNames.LM_HEAD, t.get(MoeNames.LM_HEAD));
      return p;
    }

    @Override
    Map<String, float[]> unstack(String name, NDArray parameter) {
      float[] values = parameter.toFloatArray();
      long d = config.dModel();
      long ff = moe.expertHiddenSize();
      Map<String, float[]> out = new LinkedHashMap<>();
      // the module path of a stacked parameter: "model.layers.N.self_attn" or "…mlp.experts"
      int end = name.lastIndexOf('.', name.length() - ".weight".length() - 1);
      String prefix = end < 0 ? name : name.substring(0, end);
      if (name.endsWith("self_attn.qkv_proj.weight")) {
        unstackQkv(out, prefix + ".", values);
      } else if (name.endsWith("mlp.experts.gate_up_proj.weight")) {
        for (int e = 0; e < moe.experts(); e++) { // expert e: rows [e·2ff, (e+1)·2ff)
          long at = 2L * ff * e;
          out.put(prefix + "." + e + ".gate_proj.weight", rows(values, d, at, at + ff));
          out.put(prefix + "." + e + ".up_proj.weight", rows(values, d, at + ff, at + 2 * ff));
        }
      } else if (name.endsWith("mlp.experts.down_proj.weight")) {
        for (int e = 0; e < moe.experts(); e++) {
          out.put(prefix + "." + e + ".down_proj.weight", rows(values, ff, d * e, d * (e + 1)));
        }
      } else {
        out.put(name, values);
      }
      return out;
    }

    @Override
    Block block(int i, Map<String, NDArray> p) {
      return new Block(
          p.get(MoeNames.layer(i, "input_layernorm")),
          p.get(qkvName(i)),
          p.get(MoeNames.layer(i, "self_attn.o_proj")),
          p.get(MoeNames.layer(i, "self_attn.q_norm")),
          p.get(MoeNames.layer(i, "self_attn.k_norm")),
          p.get(MoeNames.layer(i, "post_attention_layernorm")),
          new Block.RoutedExperts(
              p.get(MoeNames.layer(i, "mlp.gate")),
              p.get(gateUpName(i)),
              p.get(downName(i)),
              moe.expertBias() ? p.get(MoeNames.expertBias(i)) : null,
              moe));
    }
  }

  /** All checkpoint tensors of a network's parameters, by name. */
  Map<String, float[]> unstackAll(Map<String, NDArray> parameters) {
    Map<String, float[]> data = new LinkedHashMap<>();
    parameters.forEach((name, p) -> data.putAll(unstack(name, p)));
    return data;
  }
}

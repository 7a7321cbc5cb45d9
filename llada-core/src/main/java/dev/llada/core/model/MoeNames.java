package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.MoeSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tensor names and shapes of an LLaDA-MoE checkpoint, as LLaDA-MoE-7B-A1B ships them (llada-spec
 * §7.1, Hugging Face {@code modeling_lladamoe.py}; shapes {@code [out, in]}): LLaMA-style {@code
 * model.layers.N…} names, one {@code gate} (the router) and {@code E} experts per block.
 */
public final class MoeNames {

  public static final String EMBED = "model.embed_tokens.weight";
  public static final String NORM = "model.norm.weight";
  public static final String LM_HEAD = "lm_head.weight";

  private MoeNames() {}

  /** {@code model.layers.N.<part>.weight}. */
  public static String layer(int layer, String part) {
    return "model.layers." + layer + "." + part + ".weight";
  }

  /** {@code model.layers.N.mlp.experts.E.<proj>.weight}. */
  public static String expert(int layer, int expert, String proj) {
    return "model.layers." + layer + ".mlp.experts." + expert + "." + proj + ".weight";
  }

  /**
   * The router's per-expert score bias, where {@code moe_router_enable_expert_bias} is set (a
   * buffer; disabled in the release, so its name there is not verified here).
   */
  public static String expertBias(int layer) {
    return "model.layers." + layer + ".mlp.expert_bias";
  }

  /** Every tensor the config implies, in checkpoint order, with its shape. */
  public static Map<String, long[]> expectedShapes(LladaConfig c) {
    MoeSpec moe = c.moe();
    long d = c.dModel();
    long hd = c.headDim();
    long kv = (long) c.nKvHeads() * hd;
    long ff = moe.expertHiddenSize();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put(EMBED, new long[] {c.embeddingSize(), d});
    for (int i = 0; i < c.nLayers(); i++) {
      shapes.put(layer(i, "input_layernorm"), new long[] {d});
      shapes.put(layer(i, "self_attn.q_proj"), new long[] {d, d});
      shapes.put(layer(i, "self_attn.k_proj"), new long[] {kv, d});
      shapes.put(layer(i, "self_attn.v_proj"), new long[] {kv, d});
      shapes.put(layer(i, "self_attn.o_proj"), new long[] {d, d});
      if (c.qkNorm()) {
        shapes.put(layer(i, "self_attn.q_norm"), new long[] {hd});
        shapes.put(layer(i, "self_attn.k_norm"), new long[] {hd});
      }
      shapes.put(layer(i, "post_attention_layernorm"), new long[] {d});
      shapes.put(layer(i, "mlp.gate"), new long[] {moe.experts(), d});
      if (moe.expertBias()) {
        shapes.put(expertBias(i), new long[] {moe.experts()});
      }
      for (int e = 0; e < moe.experts(); e++) {
        shapes.put(expert(i, e, "gate_proj"), new long[] {ff, d});
        shapes.put(expert(i, e, "up_proj"), new long[] {ff, d});
        shapes.put(expert(i, e, "down_proj"), new long[] {d, ff});
      }
    }
    shapes.put(NORM, new long[] {d});
    shapes.put(LM_HEAD, new long[] {c.embeddingSize(), d});
    return shapes;
  }
}

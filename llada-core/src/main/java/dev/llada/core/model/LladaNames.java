package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensor names and shapes of a dense LLaDA checkpoint, exactly as LLaDA-8B ships them (llada-spec
 * §1.4; shapes are {@code [out, in]}). Note the naming trap: inside a block {@code ff_out} is the
 * SwiGLU down projection, at model level it is the LM head.
 */
public final class LladaNames {

  public static final String WTE = "model.transformer.wte.weight";
  public static final String LN_F = "model.transformer.ln_f.weight";
  public static final String LM_HEAD = "model.transformer.ff_out.weight";

  private LladaNames() {}

  /** {@code model.transformer.blocks.N.<part>.weight}. */
  public static String block(int layer, String part) {
    return "model.transformer.blocks." + layer + "." + part + ".weight";
  }

  /** rename_checkpoint.py's block parts: LLaDA's name → the LLaMA-style one (llada-spec §8). */
  private static final Map<String, String> LLAMA_PARTS =
      Map.of(
          "q_proj", "self_attn.q_proj",
          "k_proj", "self_attn.k_proj",
          "v_proj", "self_attn.v_proj",
          "attn_out", "self_attn.o_proj",
          "ff_proj", "mlp.gate_proj",
          "up_proj", "mlp.up_proj",
          "ff_out", "mlp.down_proj",
          "attn_norm", "input_layernorm",
          "ff_norm", "post_attention_layernorm");

  /**
   * LLaDA-V's name of a dense LLaDA tensor, as its {@code rename_checkpoint.py} maps it ({@code
   * model.transformer.blocks.N.attn_out.weight} → {@code model.layers.N.self_attn.o_proj.weight},
   * wte / ln_f / ff_out → embed_tokens / norm / lm_head); values are unchanged (no permutation).
   */
  public static String llamaStyle(String name) {
    switch (name) {
      case WTE:
        return MoeNames.EMBED;
      case LN_F:
        return MoeNames.NORM;
      case LM_HEAD:
        return MoeNames.LM_HEAD;
      default:
        break;
    }
    String prefix = "model.transformer.blocks.";
    if (name.startsWith(prefix) && name.endsWith(".weight")) {
      String rest = name.substring(prefix.length(), name.length() - ".weight".length());
      int dot = rest.indexOf('.');
      String part = LLAMA_PARTS.get(rest.substring(dot + 1));
      if (dot > 0 && part != null) {
        return "model.layers." + rest.substring(0, dot) + "." + part + ".weight";
      }
    }
    throw new IllegalArgumentException(name + " is not a dense LLaDA tensor name");
  }

  /** Every tensor the config implies, in checkpoint order, with its shape. */
  public static Map<String, long[]> expectedShapes(LladaConfig c) {
    long d = c.dModel();
    long kv = (long) c.nKvHeads() * c.headDim();
    long ff = c.mlpHiddenSize();
    Map<String, long[]> shapes = new LinkedHashMap<>();
    shapes.put(WTE, new long[] {c.embeddingSize(), d});
    for (int i = 0; i < c.nLayers(); i++) {
      shapes.put(block(i, "attn_norm"), new long[] {d});
      shapes.put(block(i, "q_proj"), new long[] {d, d});
      shapes.put(block(i, "k_proj"), new long[] {kv, d});
      shapes.put(block(i, "v_proj"), new long[] {kv, d});
      shapes.put(block(i, "attn_out"), new long[] {d, d});
      shapes.put(block(i, "ff_norm"), new long[] {d});
      shapes.put(block(i, "ff_proj"), new long[] {ff, d});
      shapes.put(block(i, "up_proj"), new long[] {ff, d});
      shapes.put(block(i, "ff_out"), new long[] {d, ff});
    }
    shapes.put(LN_F, new long[] {d});
    shapes.put(LM_HEAD, new long[] {c.embeddingSize(), d});
    return shapes;
  }

  /**
   * Checks that {@code checkpoint} holds exactly the tensors {@code expected} names, with those
   * shapes; the exception lists the first five problems.
   */
  public static void validate(Checkpoint checkpoint, Map<String, long[]> expected) {
    validate(checkpoint, expected, false, "", "its config.json", "config.json");
  }

  /**
   * Checks that {@code checkpoint} holds the tensors {@code expected} names, with those shapes,
   * and, unless {@code othersAllowed}, no others; the exception ("{@code <directory>: <part> does
   * not match <source>: …}") lists the first five problems.
   *
   * @param part what is checked, e.g. "the vision tower " (empty for the whole checkpoint)
   * @param source what the shapes come from, e.g. "its config.json"
   * @param implies the subject of "… implies [shape]"
   */
  public static void validate(
      Checkpoint checkpoint,
      Map<String, long[]> expected,
      boolean othersAllowed,
      String part,
      String source,
      String implies) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      if (!checkpoint.contains(e.getKey())) {
        problems.add("missing " + e.getKey());
        continue;
      }
      TensorInfo info = checkpoint.info(e.getKey());
      if (!Arrays.equals(info.shape(), e.getValue())) {
        problems.add(
            e.getKey()
                + " has shape "
                + Arrays.toString(info.shape())
                + ", "
                + implies
                + " implies "
                + Arrays.toString(e.getValue()));
      }
    }
    for (String name : othersAllowed ? List.<String>of() : checkpoint.names()) {
      if (!expected.containsKey(name)) {
        problems.add("unexpected tensor " + name);
      }
    }
    if (!problems.isEmpty()) {
      int shown = Math.min(problems.size(), 5);
      throw new ModelFormatException(
          checkpoint.directory()
              + (part.isEmpty() ? "" : ": " + part)
              + " does not match "
              + source
              + ": "
              + String.join("; ", problems.subList(0, shown))
              + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : ""));
    }
  }
}

package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;

/**
 * The LLaDA forward in plain Java float64, written for clarity, used only to check the fast paths
 * (llada-spec §1.2–1.3; for LLaDA-MoE §7.1: per-head q/k RMSNorm before RoPE, a softmax router,
 * top-k without renormalisation unless configured, Σ_k w_k · Expert_k). Returns full logits
 * [B][T][V].
 */
public final class OracleForward {

  private final LladaConfig c;
  private final double[] wte;
  private final double[] lnF;
  private final double[] head;
  private final double[][][] blocks; // [layer][part]

  private static final String[] PARTS = {
    "attn_norm", "q_proj", "k_proj", "v_proj", "attn_out", "ff_norm", "ff_proj", "up_proj", "ff_out"
  };

  private static final String[] MOE_PARTS = {
    "input_layernorm",
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "post_attention_layernorm"
  };

  /** MoE only: [layer] q and k norms, router, score bias; [layer][expert] gate, up, down. */
  private double[][] qNorm;

  private double[][] kNorm;
  private double[][] router;
  private double[][] scoreBias;
  private double[][][] experts;

  public OracleForward(LladaConfig c, Checkpoint checkpoint) {
    this.c = c;
    boolean moe = c.moe() != null;
    this.wte = doubles(checkpoint.readFloats(moe ? MoeNames.EMBED : LladaNames.WTE));
    this.lnF = doubles(checkpoint.readFloats(moe ? MoeNames.NORM : LladaNames.LN_F));
    this.head = doubles(checkpoint.readFloats(moe ? MoeNames.LM_HEAD : LladaNames.LM_HEAD));
    this.blocks = new double[c.nLayers()][PARTS.length][];
    for (int l = 0; l < c.nLayers(); l++) {
      for (int p = 0; p < (moe ? MOE_PARTS.length : PARTS.length); p++) {
        String name = moe ? MoeNames.layer(l, MOE_PARTS[p]) : LladaNames.block(l, PARTS[p]);
        blocks[l][p] = doubles(checkpoint.readFloats(name));
      }
    }
    if (moe) {
      int n = c.moe().experts();
      qNorm = new double[c.nLayers()][];
      kNorm = new double[c.nLayers()][];
      router = new double[c.nLayers()][];
      scoreBias = new double[c.nLayers()][];
      experts = new double[c.nLayers()][3 * n][];
      for (int l = 0; l < c.nLayers(); l++) {
        if (c.qkNorm()) {
          qNorm[l] = doubles(checkpoint.readFloats(MoeNames.layer(l, "self_attn.q_norm")));
          kNorm[l] = doubles(checkpoint.readFloats(MoeNames.layer(l, "self_attn.k_norm")));
        }
        router[l] = doubles(checkpoint.readFloats(MoeNames.layer(l, "mlp.gate")));
        if (c.moe().expertBias()) {
          scoreBias[l] = doubles(checkpoint.readFloats(MoeNames.expertBias(l)));
        }
        for (int e = 0; e < n; e++) {
          experts[l][3 * e] = doubles(checkpoint.readFloats(MoeNames.expert(l, e, "gate_proj")));
          experts[l][3 * e + 1] = doubles(checkpoint.readFloats(MoeNames.expert(l, e, "up_proj")));
          experts[l][3 * e + 2] =
              doubles(checkpoint.readFloats(MoeNames.expert(l, e, "down_proj")));
        }
      }
    }
  }

  /** One SwiGLU: down(SiLU(gate·f) ⊙ up·f). */
  private double[] swiGlu(double[] gate, double[] up, double[] down, double[] f) {
    int d = c.dModel();
    int ff = c.mlpHiddenSize();
    double[] g = matVec(gate, f, ff, d);
    double[] u = matVec(up, f, ff, d);
    for (int j = 0; j < g.length; j++) {
      g[j] = g[j] / (1 + Math.exp(-g[j])) * u[j]; // SiLU(gate) * up
    }
    return matVec(down, g, d, ff);
  }

  /** Layer l's feed-forward of one normed hidden state. */
  private double[] feedForward(int l, double[] f) {
    if (c.moe() == null) {
      return swiGlu(blocks[l][6], blocks[l][7], blocks[l][8], f);
    }
    int n = c.moe().experts();
    double[] logits = matVec(router[l], f, n, c.dModel());
    double max = Double.NEGATIVE_INFINITY;
    for (double v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    double[] p = new double[n];
    for (int e = 0; e < n; e++) {
      p[e] = Math.exp(logits[e] - max);
      sum += p[e];
    }
    for (int e = 0; e < n; e++) {
      p[e] = p[e] / sum + (scoreBias[l] != null ? scoreBias[l][e] : 0);
    }
    // top-k by score (the weights are those scores; renormalised only with norm_topk_prob)
    boolean[] taken = new boolean[n];
    int[] chosen = new int[c.moe().topK()];
    double total = 0;
    for (int k = 0; k < chosen.length; k++) {
      int best = -1;
      for (int e = 0; e < n; e++) {
        if (!taken[e] && (best < 0 || p[e] > p[best])) {
          best = e;
        }
      }
      taken[best] = true;
      chosen[k] = best;
      total += p[best];
    }
    double[] out = new double[c.dModel()];
    for (int e : chosen) {
      double w = c.moe().normTopKProb() ? p[e] / total : p[e];
      double[] y = swiGlu(experts[l][3 * e], experts[l][3 * e + 1], experts[l][3 * e + 2], f);
      for (int j = 0; j < out.length; j++) {
        out[j] += w * y[j];
      }
    }
    return out;
  }

  /** Per-head RMSNorm of x (heads × head_dim) with a head_dim weight. */
  private void headNorm(double[] x, int heads, double[] weight) {
    int hd = c.headDim();
    for (int h = 0; h < heads; h++) {
      double ms = 0;
      for (int j = 0; j < hd; j++) {
        ms += x[h * hd + j] * x[h * hd + j];
      }
      double scale = 1 / Math.sqrt(ms / hd + c.rmsNormEps());
      for (int j = 0; j < hd; j++) {
        x[h * hd + j] = x[h * hd + j] * scale * weight[j];
      }
    }
  }

  /** Rows replacing token embeddings ([row][position] → d values, or null), for one call. */
  private double[][][] embeds;

  /** Logits with {@code embeds[r][p]} (where not null) in place of token (r, p)'s embedding. */
  public double[][][] logitsWithEmbeddings(int[][] tokens, boolean[][] mask, double[][][] embeds) {
    this.embeds = embeds;
    try {
      return logits(tokens, mask);
    } finally {
      this.embeds = null;
    }
  }

  public double[][][] logits(int[][] tokens, boolean[][] mask) {
    return logits(tokens, mask, null, 0, tokens[0].length, null);
  }

  /**
   * Every layer's keys (after RoPE) and values of every position of each row: {@code
   * [row][layer][position][kv features]}.
   */
  public record KeysAndValues(double[][][][] keys, double[][][][] values) {}

  /**
   * Logits of positions {@code [qf, qt)} (indexed from 0 = qf) computed with the keys and values of
   * the other positions taken from {@code cached} (null: the query must be the whole canvas); when
   * {@code keep} is given, this forward's keys and values are stored in it. Written as the obvious
   * loop: the query's hidden states go through the layers, and at each layer attention reads the
   * query's fresh keys and the cache's for everything else.
   */
  public double[][][] logits(
      int[][] tokens, boolean[][] mask, KeysAndValues cached, int qf, int qt, KeysAndValues keep) {
    int b = tokens.length;
    int t = tokens[0].length;
    int q = qt - qf;
    if (cached == null && (qf != 0 || qt != t)) {
      throw new IllegalArgumentException("a partial forward needs cached keys and values");
    }
    int d = c.dModel();
    double[][][] out = new double[b][][];
    for (int r = 0; r < b; r++) {
      double[][] h = new double[q][];
      for (int i = 0; i < q; i++) {
        h[i] = new double[d];
        if (embeds != null && embeds[r][qf + i] != null) { // a spliced row (LLaDA-V's images)
          h[i] = embeds[r][qf + i].clone();
        } else {
          System.arraycopy(wte, tokens[r][qf + i] * d, h[i], 0, d);
        }
      }
      for (int l = 0; l < c.nLayers(); l++) {
        double[][] a = new double[q][];
        for (int i = 0; i < q; i++) {
          a[i] = rms(h[i], blocks[l][0]);
        }
        double[][] k = new double[t][];
        double[][] v = new double[t][];
        if (cached != null) {
          for (int j = 0; j < t; j++) {
            k[j] = cached.keys()[r][l][j];
            v[j] = cached.values()[r][l][j];
          }
        }
        double[][] att = attention(a, qf, k, v, l, mask == null ? null : mask[r]);
        if (keep != null) {
          keep.keys()[r][l] = k;
          keep.values()[r][l] = v;
        }
        for (int i = 0; i < q; i++) {
          for (int j = 0; j < d; j++) {
            h[i][j] += att[i][j];
          }
          double[] down = feedForward(l, rms(h[i], blocks[l][5]));
          for (int j = 0; j < d; j++) {
            h[i][j] += down[j];
          }
        }
      }
      out[r] = new double[q][];
      for (int i = 0; i < q; i++) {
        out[r][i] = matVec(head, rms(h[i], lnF), c.embeddingSize(), d);
      }
    }
    return out;
  }

  /** Empty storage for the keys and values of a rows × length canvas. */
  public KeysAndValues newKeysAndValues(int rows) {
    return new KeysAndValues(new double[rows][c.nLayers()][][], new double[rows][c.nLayers()][][]);
  }

  /**
   * Attention of the query positions {@code qf, qf + 1, ...} (normed hidden states {@code a}) over
   * every key: the query's own keys and values are computed into {@code k} and {@code v} at their
   * positions, the other entries are used as given.
   */
  private double[][] attention(
      double[][] a, int qf, double[][] k, double[][] v, int layer, boolean[] keyMask) {
    double[][] w = blocks[layer];
    int q = a.length;
    int t = k.length;
    int d = c.dModel();
    int hd = c.headDim();
    int kvd = c.nKvHeads() * hd;
    int group = c.nHeads() / c.nKvHeads();
    double[][] query = new double[q][];
    for (int i = 0; i < q; i++) {
      query[i] = matVec(w[1], a[i], d, d);
      k[qf + i] = matVec(w[2], a[i], kvd, d);
      v[qf + i] = matVec(w[3], a[i], kvd, d);
      if (c.qkNorm()) { // LLaDA-MoE: RMSNorm of each head before RoPE
        headNorm(query[i], c.nHeads(), qNorm[layer]);
        headNorm(k[qf + i], c.nKvHeads(), kNorm[layer]);
      }
      rope(query[i], qf + i, c.nHeads());
      rope(k[qf + i], qf + i, c.nKvHeads());
    }
    double[][] context = new double[q][d];
    for (int head = 0; head < c.nHeads(); head++) {
      int kvHead = head / group;
      for (int i = 0; i < q; i++) {
        double[] s = new double[t];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < t; j++) { // every query sees every key: bidirectional
          double dot = 0;
          for (int x = 0; x < hd; x++) {
            dot += query[i][head * hd + x] * k[j][kvHead * hd + x];
          }
          s[j] = keyMask != null && !keyMask[j] ? Double.NEGATIVE_INFINITY : dot / Math.sqrt(hd);
          max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < t; j++) {
          s[j] = Math.exp(s[j] - max);
          sum += s[j];
        }
        for (int j = 0; j < t; j++) {
          for (int x = 0; x < hd; x++) {
            context[i][head * hd + x] += s[j] / sum * v[j][kvHead * hd + x];
          }
        }
      }
    }
    double[][] out = new double[q][];
    for (int i = 0; i < q; i++) {
      out[i] = matVec(w[4], context[i], d, d);
    }
    return out;
  }

  /** Rotate-half RoPE on each head of x at position p. */
  private void rope(double[] x, int p, int heads) {
    int hd = c.headDim();
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
      for (int j = 0; j < half; j++) {
        double angle = p / Math.pow(c.ropeTheta(), 2.0 * j / hd);
        double x1 = x[h * hd + j];
        double x2 = x[h * hd + j + half];
        x[h * hd + j] = x1 * Math.cos(angle) - x2 * Math.sin(angle);
        x[h * hd + j + half] = x2 * Math.cos(angle) + x1 * Math.sin(angle);
      }
    }
  }

  private double[] rms(double[] x, double[] weight) {
    double ms = 0;
    for (double v : x) {
      ms += v * v;
    }
    double scale = 1 / Math.sqrt(ms / x.length + c.rmsNormEps());
    double[] out = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] * scale * weight[i];
    }
    return out;
  }

  /** W [out, in] times x [in]. */
  private static double[] matVec(double[] w, double[] x, int out, int in) {
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      double s = 0;
      for (int i = 0; i < in; i++) {
        s += w[o * in + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private static double[] doubles(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }
}

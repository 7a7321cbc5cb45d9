package dev.llada.core.model;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;

/**
 * The LLaDA forward in plain Java float64, written for clarity, used only to check the fast paths
 * (llada-spec §1.2–1.3). Returns full logits [B][T][V].
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

  public OracleForward(LladaConfig c, Checkpoint checkpoint) {
    this.c = c;
    this.wte = doubles(checkpoint.readFloats(LladaNames.WTE));
    this.lnF = doubles(checkpoint.readFloats(LladaNames.LN_F));
    this.head = doubles(checkpoint.readFloats(LladaNames.LM_HEAD));
    this.blocks = new double[c.nLayers()][PARTS.length][];
    for (int l = 0; l < c.nLayers(); l++) {
      for (int p = 0; p < PARTS.length; p++) {
        blocks[l][p] = doubles(checkpoint.readFloats(LladaNames.block(l, PARTS[p])));
      }
    }
  }

  public double[][][] logits(int[][] tokens, boolean[][] mask) {
    int b = tokens.length;
    int t = tokens[0].length;
    int d = c.dModel();
    double[][][] out = new double[b][][];
    for (int r = 0; r < b; r++) {
      double[][] h = new double[t][];
      for (int i = 0; i < t; i++) {
        h[i] = new double[d];
        System.arraycopy(wte, tokens[r][i] * d, h[i], 0, d);
      }
      for (int l = 0; l < c.nLayers(); l++) {
        double[][] a = new double[t][];
        for (int i = 0; i < t; i++) {
          a[i] = rms(h[i], blocks[l][0]);
        }
        double[][] att = attention(a, blocks[l], mask == null ? null : mask[r]);
        for (int i = 0; i < t; i++) {
          for (int j = 0; j < d; j++) {
            h[i][j] += att[i][j];
          }
          double[] f = rms(h[i], blocks[l][5]);
          double[] g = matVec(blocks[l][6], f, c.mlpHiddenSize(), d);
          double[] u = matVec(blocks[l][7], f, c.mlpHiddenSize(), d);
          for (int j = 0; j < g.length; j++) {
            g[j] = g[j] / (1 + Math.exp(-g[j])) * u[j]; // SiLU(gate) * up
          }
          double[] down = matVec(blocks[l][8], g, d, c.mlpHiddenSize());
          for (int j = 0; j < d; j++) {
            h[i][j] += down[j];
          }
        }
      }
      out[r] = new double[t][];
      for (int i = 0; i < t; i++) {
        out[r][i] = matVec(head, rms(h[i], lnF), c.embeddingSize(), d);
      }
    }
    return out;
  }

  private double[][] attention(double[][] a, double[][] w, boolean[] keyMask) {
    int t = a.length;
    int d = c.dModel();
    int hd = c.headDim();
    int kvd = c.nKvHeads() * hd;
    int group = c.nHeads() / c.nKvHeads();
    double[][] q = new double[t][];
    double[][] k = new double[t][];
    double[][] v = new double[t][];
    for (int i = 0; i < t; i++) {
      q[i] = matVec(w[1], a[i], d, d);
      k[i] = matVec(w[2], a[i], kvd, d);
      v[i] = matVec(w[3], a[i], kvd, d);
      rope(q[i], i, c.nHeads());
      rope(k[i], i, c.nKvHeads());
    }
    double[][] context = new double[t][d];
    for (int head = 0; head < c.nHeads(); head++) {
      int kvHead = head / group;
      for (int i = 0; i < t; i++) {
        double[] s = new double[t];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < t; j++) { // every query sees every key: bidirectional
          double dot = 0;
          for (int x = 0; x < hd; x++) {
            dot += q[i][head * hd + x] * k[j][kvHead * hd + x];
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
    double[][] out = new double[t][];
    for (int i = 0; i < t; i++) {
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

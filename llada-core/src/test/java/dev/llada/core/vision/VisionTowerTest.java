package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vision tower and projector against a float64 oracle written as the obvious loops. */
class VisionTowerTest {

  @TempDir Path temp;

  private static final String TOWER = "model.vision_tower.vision_tower.vision_model.";
  private static final String PROJECTOR = "model.mm_projector.";

  @Test
  void featuresOfTheSelectedLayerAndTheProjectionMatchTheOracle() throws Exception {
    VisionConfig c = new VisionConfig(16, 24, 3, 2, 4, 12, 1e-6, -2);
    int lm = 20;
    Map<String, long[]> shapes = VisionTower.expectedShapes(c, TOWER, PROJECTOR, lm, 16);
    Random random = new Random(9);
    Map<String, double[]> values = new HashMap<>();
    List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      long n = 1;
      for (long s : e.getValue()) {
        n *= s;
      }
      float[] f = new float[(int) n];
      double[] d = new double[f.length];
      boolean norm = e.getKey().contains("layer_norm") && e.getKey().endsWith("weight");
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) ((norm ? 1 : 0) + 0.3 * random.nextGaussian());
        d[i] = f[i];
      }
      values.put(e.getKey(), d);
      tensors.add(new SafetensorsWriter.Tensor(e.getKey(), e.getValue(), f, DType.F32));
    }
    Files.createDirectories(temp.resolve("v"));
    SafetensorsWriter.writeSharded(temp.resolve("v"), tensors, 4096);
    float[] pixels = new float[2 * 3 * 12 * 12];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) (2 * random.nextDouble() - 1);
    }
    try (Checkpoint checkpoint = Checkpoint.open(temp.resolve("v"));
        NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
      VisionTower tower = VisionTower.load(c, checkpoint, TOWER, PROJECTOR, lm, m);
      var features = tower.features(m.create(pixels, new Shape(2, 3, 12, 12)));
      assertEquals(new Shape(2, 9, 16), features.getShape());
      float[] got = tower.project(features).toFloatArray();
      double[] want = oracle(c, values, pixels, lm);
      double maxAbs = 0;
      double maxErr = 0;
      for (int i = 0; i < want.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(want[i]));
        maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
      }
      assertTrue(maxAbs > 0.1);
      assertTrue(maxErr / maxAbs < 1e-5, "max rel. error " + maxErr / maxAbs);
    }
    // a missing or misshapen tensor is named
    List<SafetensorsWriter.Tensor> broken = new ArrayList<>(tensors);
    broken.removeIf(t -> t.name().equals(TOWER + "encoder.layers.1.mlp.fc1.bias"));
    Files.createDirectories(temp.resolve("broken"));
    SafetensorsWriter.write(temp.resolve("broken/model.safetensors"), broken, Map.of());
    try (Checkpoint checkpoint = Checkpoint.open(temp.resolve("broken"));
        NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
      ModelFormatException e =
          assertThrows(
              ModelFormatException.class,
              () -> VisionTower.load(c, checkpoint, TOWER, PROJECTOR, lm, m));
      assertTrue(e.getMessage().contains("missing " + TOWER + "encoder.layers.1.mlp.fc1.bias"));
    }
  }

  /** The tower to the selected layer, then the projector, in double, for a (B, 3, S, S) batch. */
  private static double[] oracle(VisionConfig c, Map<String, double[]> w, float[] px, int lm) {
    int s = c.imageSize();
    int p = c.patch();
    int g = c.grid();
    int h = c.hidden();
    int n = c.patches();
    int b = px.length / (3 * s * s);
    List<Double> out = new ArrayList<>();
    for (int img = 0; img < b; img++) {
      double[][] x = new double[n][h];
      double[] conv = w.get(TOWER + "embeddings.patch_embedding.weight");
      double[] convBias = w.get(TOWER + "embeddings.patch_embedding.bias");
      double[] pos = w.get(TOWER + "embeddings.position_embedding.weight");
      for (int gy = 0; gy < g; gy++) {
        for (int gx = 0; gx < g; gx++) {
          int patchIndex = gy * g + gx;
          for (int o = 0; o < h; o++) {
            double sum = convBias[o];
            for (int ch = 0; ch < 3; ch++) {
              for (int ky = 0; ky < p; ky++) {
                for (int kx = 0; kx < p; kx++) {
                  double v = px[((img * 3 + ch) * s + gy * p + ky) * s + gx * p + kx];
                  sum += conv[((o * 3 + ch) * p + ky) * p + kx] * v;
                }
              }
            }
            x[patchIndex][o] = sum + pos[patchIndex * h + o];
          }
        }
      }
      for (int l = 0; l < c.layersRun(); l++) {
        String pre = TOWER + "encoder.layers." + l + ".";
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) {
          a[i] =
              layerNorm(
                  x[i], w.get(pre + "layer_norm1.weight"), w.get(pre + "layer_norm1.bias"), c);
        }
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int i = 0; i < n; i++) {
          q[i] = linear(w, pre + "self_attn.q_proj", a[i]);
          k[i] = linear(w, pre + "self_attn.k_proj", a[i]);
          v[i] = linear(w, pre + "self_attn.v_proj", a[i]);
        }
        int hd = h / c.heads();
        for (int i = 0; i < n; i++) {
          double[] ctx = new double[h];
          for (int head = 0; head < c.heads(); head++) {
            double[] score = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
              double dot = 0;
              for (int t = 0; t < hd; t++) {
                dot += q[i][head * hd + t] * k[j][head * hd + t];
              }
              score[j] = dot / Math.sqrt(hd);
              max = Math.max(max, score[j]);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
              score[j] = Math.exp(score[j] - max);
              sum += score[j];
            }
            for (int j = 0; j < n; j++) {
              for (int t = 0; t < hd; t++) {
                ctx[head * hd + t] += score[j] / sum * v[j][head * hd + t];
              }
            }
          }
          double[] o = linear(w, pre + "self_attn.out_proj", ctx);
          for (int t = 0; t < h; t++) {
            x[i][t] += o[t];
          }
        }
        for (int i = 0; i < n; i++) {
          double[] f =
              layerNorm(
                  x[i], w.get(pre + "layer_norm2.weight"), w.get(pre + "layer_norm2.bias"), c);
          double[] u = linear(w, pre + "mlp.fc1", f);
          for (int t = 0; t < u.length; t++) {
            double z = u[t];
            u[t] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
          }
          double[] d = linear(w, pre + "mlp.fc2", u);
          for (int t = 0; t < h; t++) {
            x[i][t] += d[t];
          }
        }
      }
      for (int i = 0; i < n; i++) {
        double[] y = linear(w, PROJECTOR + "0", x[i]);
        for (int t = 0; t < y.length; t++) {
          y[t] = 0.5 * y[t] * (1 + erf(y[t] / Math.sqrt(2)));
        }
        for (double v : linear(w, PROJECTOR + "2", y)) {
          out.add(v);
        }
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double[] linear(Map<String, double[]> w, String name, double[] x) {
    double[] weight = w.get(name + ".weight");
    double[] bias = w.get(name + ".bias");
    double[] y = new double[bias.length];
    for (int o = 0; o < y.length; o++) {
      double s = bias[o];
      for (int i = 0; i < x.length; i++) {
        s += weight[o * x.length + i] * x[i];
      }
      y[o] = s;
    }
    return y;
  }

  private static double[] layerNorm(double[] x, double[] weight, double[] bias, VisionConfig c) {
    double mean = 0;
    for (double v : x) {
      mean += v / x.length;
    }
    double var = 0;
    for (double v : x) {
      var += (v - mean) * (v - mean) / x.length;
    }
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i] - mean) / Math.sqrt(var + c.layerNormEps()) * weight[i] + bias[i];
    }
    return y;
  }

  /** erf by Abramowitz–Stegun 7.1.26 is too coarse here; a series/continued fraction instead. */
  private static double erf(double x) {
    double t = Math.abs(x);
    double sum = 0;
    if (t < 3) { // Maclaurin series
      double term = t;
      for (int k = 0; k < 200; k++) {
        sum += term / (2 * k + 1);
        term *= -t * t / (k + 1);
      }
      sum *= 2 / Math.sqrt(Math.PI);
    } else {
      sum = 1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)) * (1 - 1 / (2 * t * t));
    }
    return Math.signum(x) * sum;
  }
}

package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.JniUtils;
import dev.llada.core.config.LladaConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The same forward as {@link LladaNetwork#forward}, as one TorchScript function: one JNI call per
 * forward instead of ~40 per layer, and {@code torch.scaled_dot_product_attention} (fused
 * attention) in place of scores → softmax → context. DJL cannot script or trace, but it loads
 * TorchScript, and a TorchScript archive is a zip of source code and tiny pickles that Java can
 * write (djl.md §5f): the source is generated for the model's shape, the weights are passed in as a
 * list. Inference only.
 */
final class TorchScriptForward implements AutoCloseable {

  private final PtSymbolBlock module;
  private final IValue weights;

  TorchScriptForward(LladaConfig config, PtNDManager manager, List<NDArray> weightList) {
    try {
      this.module =
          JniUtils.loadModule(
              manager, new ByteArrayInputStream(archive(source(config))), true, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load the TorchScript forward", e);
    }
    this.weights =
        IValue.listFrom(weightList.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
  }

  /**
   * Logits of positions [from, to).
   *
   * @param bias additive key-padding bias (B, 1, 1, T), or null
   */
  NDArray forward(NDArray ids, NDArray bias, NDArray[] rope, int from, int to) {
    PtNDManager manager = (PtNDManager) ids.getManager();
    IValue[] args = {
      IValue.from((PtNDArray) ids),
      IValue.from(bias != null),
      IValue.from((PtNDArray) (bias != null ? bias : ids)),
      weights,
      IValue.from((PtNDArray) rope[0]),
      IValue.from((PtNDArray) rope[1]),
      IValue.from((PtNDArray) rope[2]),
      IValue.from(from),
      IValue.from(to)
    };
    IValue out = module.forward(args);
    try {
      return out.toTensor(manager);
    } finally {
      out.close();
      for (int i = 0; i < args.length; i++) {
        if (i != 3) {
          args[i].close();
        }
      }
    }
  }

  /** TorchScript source of the forward for this shape (llada-spec §1.2). */
  static String source(LladaConfig c) {
    int d = c.dModel();
    int kv = c.nKvHeads() * c.headDim();
    String eps = String.format(Locale.ROOT, "%.10e", c.rmsNormEps());
    String gqa =
        c.nKvHeads() == c.nHeads()
            ? ""
            : "      k = torch.repeat_interleave(k, %d, 1)\n      v = torch.repeat_interleave(v, %d, 1)\n"
                .formatted(c.nHeads() / c.nKvHeads(), c.nHeads() / c.nKvHeads());
    return """
        class M(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.M, ids: Tensor, has_bias: bool, bias: Tensor, w: List[Tensor], cos: Tensor, sin: Tensor, rot: Tensor, lo: int, hi: int) -> Tensor:
            b = torch.size(ids, 0)
            t = torch.size(ids, 1)
            h = torch.embedding(w[0], ids)
            for i in range(%1$d):
              j = 1 + 6 * i
              a = h * torch.rsqrt(torch.mean(h * h, [-1], True) + %2$s) * w[j]
              qkv = torch.linear(a, w[j + 1])
              q = torch.reshape(torch.narrow(qkv, 2, 0, %3$d), [b, t, %5$d, %7$d])
              k = torch.reshape(torch.narrow(qkv, 2, %3$d, %4$d), [b, t, %6$d, %7$d])
              v = torch.reshape(torch.narrow(qkv, 2, %3$d + %4$d, %4$d), [b, t, %6$d, %7$d])
              q = torch.transpose(q * cos + torch.matmul(q, rot) * sin, 1, 2)
              k = torch.transpose(k * cos + torch.matmul(k, rot) * sin, 1, 2)
              v = torch.transpose(v, 1, 2)
        %9$s      if has_bias:
                x = torch.scaled_dot_product_attention(q, k, v, bias)
              else:
                x = torch.scaled_dot_product_attention(q, k, v)
              h = h + torch.linear(torch.reshape(torch.transpose(x, 1, 2), [b, t, %3$d]), w[j + 2])
              f = h * torch.rsqrt(torch.mean(h * h, [-1], True) + %2$s) * w[j + 3]
              gu = torch.linear(f, w[j + 4])
              g = torch.narrow(gu, 2, 0, %8$d)
              u = torch.narrow(gu, 2, %8$d, %8$d)
              h = h + torch.linear(torch.silu(g) * u, w[j + 5])
            n = 1 + 6 * %1$d
            h = h * torch.rsqrt(torch.mean(h * h, [-1], True) + %2$s) * w[n]
            h = torch.narrow(h, 1, lo, hi - lo)
            return torch.linear(h, w[n + 1])
        """
        .formatted(
            c.nLayers(), eps, d, kv, c.nHeads(), c.nKvHeads(), c.headDim(), c.mlpHiddenSize(), gqa);
  }

  /**
   * A TorchScript archive: the code, a pickle that builds {@code __torch__.M}, and version files.
   */
  static byte[] archive(String code) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      put(zip, "archive/code/__torch__.py", code.getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream pkl = new ByteArrayOutputStream();
      pkl.write(new byte[] {(byte) 0x80, 2}); // PROTO 2
      pkl.write("c__torch__\nM\n".getBytes(StandardCharsets.US_ASCII)); // GLOBAL __torch__.M
      pkl.write(new byte[] {'q', 0, ')', (byte) 0x81, '}', 'q', 1}); // NEWOBJ, state dict
      pkl.write('X');
      pkl.write(new byte[] {8, 0, 0, 0});
      pkl.write("training".getBytes(StandardCharsets.US_ASCII));
      pkl.write(new byte[] {'q', 2, (byte) 0x88, 's', 'b', '.'}); // training=True, BUILD, STOP
      put(zip, "archive/data.pkl", pkl.toByteArray());
      put(zip, "archive/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      put(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      put(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
    }
    return bytes.toByteArray();
  }

  private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  @Override
  public void close() {
    weights.close();
    module.close();
  }
}

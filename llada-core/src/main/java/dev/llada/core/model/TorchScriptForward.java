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
import java.util.Iterator;
import java.util.LinkedHashMap;
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
 *
 * <p>On a CPU whose libtorch carries MKL, the projections and the LM head can run on weights
 * pre-packed for MKL's GEMM ({@code mkl::_mkl_reorder_linear_weight}, then {@code
 * mkl::_mkl_linear}, the ops PyTorch's own freezing passes use): the weight panels are then not
 * re-packed on every call. A packing is made for one row count (B·T) — a generation's steps all
 * have the same — and the last few row counts' packings are kept (least recently used goes first,
 * within {@link #PACKINGS_BUDGET_BYTES}), so that jobs of two shapes interleaving on one worker (a
 * generation and a likelihood, or a batch with and without guidance) do not repack on every switch;
 * for any other row count {@code _mkl_linear} computes the plain {@code linear} on the original
 * weight, so results never depend on the cache. A packing costs as much memory as the projection
 * weights, so packing is used for frozen (loaded) CPU networks of at most {@link
 * #PACK_MAX_PARAMETERS} parameters only.
 */
final class TorchScriptForward implements AutoCloseable {

  /** Above this many parameters the packed copies would double too much memory (8B: 32 GB). */
  static final long PACK_MAX_PARAMETERS = 256L << 20;

  /** At most this many bytes of packed copies are kept (one packing always is). */
  static final long PACKINGS_BUDGET_BYTES = 256L << 20;

  static final int MAX_PACKINGS = 4;

  private final PtSymbolBlock module;
  private final IValue weights;

  /** Packs the weights for a row count; null where MKL packing is not used. */
  private final PtSymbolBlock packer;

  /** Packings by row count B·T, least recently used first. */
  private final LinkedHashMap<Long, IValue> packings = new LinkedHashMap<>(8, 0.75f, true);

  private final int maxPackings;

  private boolean closed;

  TorchScriptForward(
      LladaConfig config, PtNDManager manager, List<NDArray> weightList, boolean pack) {
    PtSymbolBlock forward = null;
    PtSymbolBlock packing = null;
    if (pack) {
      try { // libtorch builds without MKL (e.g. aarch64) do not have the ops: plain forward then
        packing = load(manager, packSource(config));
        forward = load(manager, source(config, true));
      } catch (RuntimeException e) {
        if (packing != null) {
          packing.close();
        }
        packing = null;
        forward = null;
      }
    }
    if (forward == null) {
      forward = load(manager, source(config, false));
    }
    this.module = forward;
    this.packer = packing;
    this.maxPackings = maxPackings(config);
    this.weights =
        IValue.listFrom(weightList.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
  }

  /** Whether the projections run on MKL-packed weights. */
  boolean packed() {
    return packer != null;
  }

  /** How many packings fit in {@link #PACKINGS_BUDGET_BYTES}: 1 to {@link #MAX_PACKINGS}. */
  static int maxPackings(LladaConfig c) {
    // everything but the embedding is packed (the norm weights, a few d per layer, are counted too)
    long bytes = 4 * (c.parameterCount() - (long) c.embeddingSize() * c.dModel());
    return (int) Math.max(1, Math.min(MAX_PACKINGS, PACKINGS_BUDGET_BYTES / bytes));
  }

  /** How many packings are kept now. */
  int packings() {
    return packings.size();
  }

  /** The packed weights for {@code rows} = B·T, made on first use of that row count. */
  private IValue packedFor(long rows) {
    IValue packed = packings.get(rows);
    if (packed == null) {
      while (packings.size() >= maxPackings) { // evict first: never two extra copies at once
        Iterator<IValue> eldest = packings.values().iterator();
        eldest.next().close();
        eldest.remove();
      }
      try (IValue m = IValue.from(rows)) {
        packed = packer.forward(weights, m);
      }
      packings.put(rows, packed);
    }
    return packed;
  }

  /**
   * Logits of positions [from, to).
   *
   * @param bias additive key-padding bias (B, 1, 1, T), or null
   * @param rope cos and signed-sin tables (n, 1, hd) for n ≥ T positions; the first T are read
   */
  NDArray forward(NDArray ids, NDArray bias, NDArray[] rope, int from, int to) {
    PtNDManager manager = (PtNDManager) ids.getManager();
    List<IValue> args = new java.util.ArrayList<>();
    args.add(IValue.from((PtNDArray) ids));
    args.add(IValue.from(bias != null));
    args.add(IValue.from((PtNDArray) (bias != null ? bias : ids)));
    args.add(weights);
    if (packer != null) {
      args.add(packedFor(ids.getShape().get(0) * ids.getShape().get(1)));
    }
    int owned = args.size(); // the arguments from here on are made for this call
    args.add(IValue.from((PtNDArray) rope[0]));
    args.add(IValue.from((PtNDArray) rope[1]));
    args.add(IValue.from(from));
    args.add(IValue.from(to));
    IValue out = module.forward(args.toArray(IValue[]::new));
    try {
      return out.toTensor(manager);
    } finally {
      out.close();
      for (int i = 0; i < args.size(); i++) {
        if (i < 3 || i >= owned) {
          args.get(i).close();
        }
      }
    }
  }

  /**
   * TorchScript source of the forward for this shape (llada-spec §1.2). RoPE rotates the query and
   * key heads together (they are adjacent in the fused projection); {@code
   * scaled_dot_product_attention} applies the 1/√hd scale. With {@code packed}, every projection
   * and the LM head is {@code _mkl_linear} on the packed weights {@code pw}.
   */
  static String source(LladaConfig c, boolean packed) {
    int d = c.dModel();
    int kv = c.nKvHeads() * c.headDim();
    int hd = c.headDim();
    String eps = String.format(Locale.ROOT, "%.10e", c.rmsNormEps());
    String gqa =
        c.nKvHeads() == c.nHeads()
            ? ""
            : "      k = torch.repeat_interleave(k, %d, 1)\n      v = torch.repeat_interleave(v, %d, 1)\n"
                .formatted(c.nHeads() / c.nKvHeads(), c.nHeads() / c.nKvHeads());
    String code =
        """
        class M(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.M, ids: Tensor, has_bias: bool, bias: Tensor, w: List[Tensor],%10$s cos: Tensor, sin: Tensor, lo: int, hi: int) -> Tensor:
            b = torch.size(ids, 0)
            t = torch.size(ids, 1)
            h = torch.embedding(w[0], ids)
            cos = torch.narrow(cos, 0, 0, t)
            sin = torch.narrow(sin, 0, 0, t)
            for i in range(%1$d):
              j = 1 + 6 * i
              a = h * torch.rsqrt(torch.square(torch.linalg_vector_norm(h, 2, [-1], True)) * %12$s + %2$s) * w[j]
              qkv = LINEAR(a, 1, 0)
              qk = torch.reshape(torch.narrow(qkv, 2, 0, %3$d + %4$d), [b, t, %5$d + %6$d, %7$d])
              qk = torch.transpose(torch.addcmul_(qk * cos, torch.roll(qk, [%11$d], [-1]), sin), 1, 2)
              q = torch.narrow(qk, 1, 0, %5$d)
              k = torch.narrow(qk, 1, %5$d, %6$d)
              v = torch.transpose(torch.reshape(torch.narrow(qkv, 2, %3$d + %4$d, %4$d), [b, t, %6$d, %7$d]), 1, 2)
        %9$s      if has_bias:
                x = torch.scaled_dot_product_attention(q, k, v, bias)
              else:
                x = torch.scaled_dot_product_attention(q, k, v)
              o = torch.reshape(torch.transpose(x, 1, 2), [b, t, %3$d])
              h = torch.add_(h, LINEAR(o, 2, 1))
              f = h * torch.rsqrt(torch.square(torch.linalg_vector_norm(h, 2, [-1], True)) * %12$s + %2$s) * w[j + 3]
              gu = LINEAR(f, 4, 2)
              g = torch.narrow(gu, 2, 0, %8$d)
              u = torch.narrow(gu, 2, %8$d, %8$d)
              s = torch.mul_(torch.silu(g), u)
              h = torch.add_(h, LINEAR(s, 5, 3))
            n = 1 + 6 * %1$d
            h = h * torch.rsqrt(torch.square(torch.linalg_vector_norm(h, 2, [-1], True)) * %12$s + %2$s) * w[n]
            h = torch.narrow(h, 1, lo, hi - lo)
            return HEAD
        """
            .formatted(
                c.nLayers(),
                eps,
                d,
                kv,
                c.nHeads(),
                c.nKvHeads(),
                hd,
                c.mlpHiddenSize(),
                gqa,
                packed ? " pw: List[Tensor]," : "",
                hd / 2,
                String.format(Locale.ROOT, "%.17e", 1.0 / d));
    // LINEAR(x, k, slot): x times weight j + k of block i, whose packed copy is pw[4 * i + slot]
    return code.replaceAll(
            "LINEAR\\((\\w+), (\\d), (\\d)\\)",
            packed
                ? "ops.mkl._mkl_linear($1, pw[4 * i + $3], w[j + $2], None, b * t)"
                : "torch.linear($1, w[j + $2])")
        .replace(
            "HEAD",
            packed
                ? "ops.mkl._mkl_linear(h, pw[4 * %d], w[n + 1], None, b * (hi - lo))"
                    .formatted(c.nLayers())
                : "torch.linear(h, w[n + 1])");
  }

  /** A module whose forward packs the projection and LM head weights for {@code m} rows. */
  static String packSource(LladaConfig c) {
    return """
        class M(Module):
          __parameters__ = []
          __buffers__ = []
          training : bool
          def forward(self: __torch__.M, w: List[Tensor], m: int) -> List[Tensor]:
            out = annotate(List[Tensor], [])
            for i in range(%1$d):
              j = 1 + 6 * i
              out.append(ops.mkl._mkl_reorder_linear_weight(w[j + 1], m))
              out.append(ops.mkl._mkl_reorder_linear_weight(w[j + 2], m))
              out.append(ops.mkl._mkl_reorder_linear_weight(w[j + 4], m))
              out.append(ops.mkl._mkl_reorder_linear_weight(w[j + 5], m))
            out.append(ops.mkl._mkl_reorder_linear_weight(w[2 + 6 * %1$d], m))
            return out
        """
        .formatted(c.nLayers());
  }

  /**
   * Loads generated TorchScript source (a class {@code M}) as a module owned by {@code manager}.
   */
  static PtSymbolBlock load(PtNDManager manager, String code) {
    try {
      return JniUtils.loadModule(manager, new ByteArrayInputStream(archive(code)), true, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load a generated TorchScript module", e);
    }
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

  /** Frees the packings, the weight list and the module; a second call does nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    packings.values().forEach(IValue::close);
    packings.clear();
    if (packer != null) {
      packer.close();
    }
    weights.close();
    module.close();
  }
}

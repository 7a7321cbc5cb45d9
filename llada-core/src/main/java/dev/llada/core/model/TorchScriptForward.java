package dev.llada.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The same forward as {@link LladaNetwork#forward}, as one TorchScript function: one JNI call per
 * forward instead of ~40 per layer, and {@code torch.scaled_dot_product_attention} (fused
 * attention) in place of scores → softmax → context. DJL cannot script or trace, but it loads
 * TorchScript, and a TorchScript archive is a zip of source code and tiny pickles that Java can
 * write (djl.md §5f). The source is a fixed text ({@code forward.torchscript}, read like the
 * paper's forward) that takes its shapes from the weights, which are passed in as a list; it also
 * computes part of a canvas against cached keys and values (Fast-dLLM's block-wise approximate KV
 * cache: a RoPE position offset, K/V in and out). Inference only.
 *
 * <p>On a CPU whose libtorch carries MKL, the projections and the LM head can run on weights
 * pre-packed for MKL's GEMM ({@code mkl::_mkl_reorder_linear_weight}, then {@code
 * mkl::_mkl_linear}, the ops PyTorch's own freezing passes use): the weight panels are then not
 * re-packed on every call. A packing is made for one row count (B·q, q the positions computed) when
 * two forwards in a row have it — a generation's uncached steps all have the same, a cached one's
 * steps within a block too — and the last few row counts' packings are kept (least recently used
 * goes first, within {@link #PACKINGS_BUDGET_BYTES}), so that jobs of two shapes interleaving on
 * one worker (a generation and a likelihood, or a batch with and without guidance) do not repack on
 * every switch; for any other row count {@code _mkl_linear} computes the plain {@code linear} on
 * the original weight, so results never depend on the cache. A packing costs as much memory as the
 * projection weights, so packing is used for frozen (loaded) CPU networks of at most {@link
 * #PACK_MAX_PARAMETERS} parameters only.
 *
 * <p>An LLaDA-MoE network runs {@code moe-forward.torchscript} instead: the same attention and
 * cache contract with per-head q/k norms, and the routed experts grouped by expert (one product per
 * expert over its tokens, as {@link ExpertDispatch#grouped}); no MKL packing.
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

  /** The row count of the previous forward: a row count is packed on its second call in a row. */
  private long lastRows = -1;

  private final LladaConfig config;

  private final Precision precision;

  /** The empty lists passed where there are no packed weights, or no cache. */
  private final IValue noPacking;

  private final IValue noCache;

  private boolean closed;

  TorchScriptForward(
      LladaConfig config, PtNDManager manager, List<NDArray> weightList, boolean pack) {
    this(config, manager, weightList, pack, Precision.FLOAT32);
  }

  /**
   * The forward over {@code weightList} (float32), computing in {@code precision}: for bfloat16 it
   * holds bfloat16 copies of the weights (the float32 arrays stay the caller's) and packs none.
   */
  TorchScriptForward(
      LladaConfig config,
      PtNDManager manager,
      List<NDArray> weightList,
      boolean pack,
      Precision precision) {
    requireSupported(config, precision);
    PtSymbolBlock forward = null;
    PtSymbolBlock packing = null;
    if (precision == Precision.BFLOAT16) {
      pack = false; // MKL's packed GEMM is float32's
    }
    if (config.moe() != null) { // LLaDA-MoE: its own forward text, on unpacked weights
      forward = load(manager, resource("moe-forward.torchscript"));
      pack = false;
    }
    if (pack) {
      try { // libtorch builds without MKL (e.g. aarch64) do not have the ops: plain forward then
        packing = load(manager, packSource());
        forward = load(manager, source(true));
      } catch (RuntimeException e) {
        if (packing != null) {
          packing.close();
        }
        packing = null;
        forward = null;
      }
    }
    if (forward == null) {
      forward = load(manager, source(false));
    }
    this.module = forward;
    this.packer = packing;
    this.maxPackings = maxPackings(config);
    this.config = config;
    this.precision = precision;
    this.noPacking = IValue.listFrom(new PtNDArray[0]);
    this.noCache = IValue.listFrom(new PtNDArray[0]);
    IValue given =
        IValue.listFrom(weightList.stream().map(a -> (PtNDArray) a).toArray(PtNDArray[]::new));
    if (precision == Precision.FLOAT32) {
      this.weights = given;
    } else {
      try (given;
          PtSymbolBlock cast = load(manager, resource("bf16.torchscript"))) {
        this.weights = cast.forward(new IValue[] {given});
      }
    }
  }

  /** Refuses a precision this forward has no arithmetic for: bf16 is the dense forward's. */
  static void requireSupported(LladaConfig config, Precision precision) {
    if (precision == Precision.BFLOAT16 && config.moe() != null) {
      throw new IllegalArgumentException(
          "bf16 is the dense forward's; an LLaDA-MoE network computes in f32");
    }
  }

  /** The type this forward computes in. */
  Precision precision() {
    return precision;
  }

  /** Casts arrays one at a time, freeing each original; closes its module when closed. */
  interface Cast extends AutoCloseable {
    NDArray apply(NDArray array);

    @Override
    void close();
  }

  /**
   * A bfloat16 cast on {@code manager}'s device (bf16.torchscript on a one-array list): the result
   * belongs to {@code manager}, the original is closed.
   */
  static Cast bf16Cast(PtNDManager manager) {
    PtSymbolBlock module = load(manager, resource("bf16.torchscript"));
    return new Cast() {
      @Override
      public NDArray apply(NDArray array) {
        try (IValue list = IValue.listFrom((PtNDArray) array);
            IValue out = module.forward(new IValue[] {list})) {
          PtNDArray[] cast = out.toTensorArray(manager);
          array.close();
          return cast[0];
        }
      }

      @Override
      public void close() {
        module.close();
      }
    };
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
    boolean again = rows == lastRows;
    lastRows = rows;
    if (packed == null && !again && !packings.isEmpty()) {
      // a row count seen once (an incremental refresh's, a batch's passing size): the plain
      // product, which _mkl_linear computes for a packing of another row count, instead of a
      // packing made for one call and thrown away (allocator churn that grew the native memory)
      return packings.values().iterator().next();
    }
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
   * Logits of positions [from, to) of a canvas computed whole.
   *
   * @param bias additive key-padding bias (B, 1, 1, T), or null
   * @param rope cos and signed-sin tables (n, 1, hd) for n ≥ T positions; the first T are read
   */
  NDArray forward(NDArray ids, NDArray bias, NDArray[] rope, int from, int to) {
    Output out = forward(ids, 0, bias, rope, null, 0, false, from, to, null);
    return out.logits();
  }

  /**
   * What one forward returns: the logits, and every layer's keys and values (K after RoPE, two
   * tensors (B, kv heads, T, hd) per layer) when the call kept them, else null.
   */
  record Output(NDArray logits, IValue keysAndValues) {}

  /**
   * The forward of the positions {@code [offset, offset + q)} of a canvas, {@code ids} (B, q) being
   * their tokens; the keys and values of the canvas's other positions are read from {@code cache}
   * (a previous kept forward of the whole canvas, which stays the caller's) or, without a cache, q
   * is the whole canvas. The forward's rows are the cache's rows from {@code cacheRow} on. Logits
   * of positions [from, to), within the query.
   *
   * @param bias additive key-padding bias (B, 1, 1, T) over the whole canvas's keys, or null
   * @param keep whether to return this forward's keys and values (a full forward: a new cache)
   */
  Output forward(
      NDArray ids,
      int offset,
      NDArray bias,
      NDArray[] rope,
      IValue cache,
      int cacheRow,
      boolean keep,
      int from,
      int to,
      Splice splice) {
    PtNDManager manager = (PtNDManager) ids.getManager();
    long rows = ids.getShape().get(0) * ids.getShape().get(1);
    IValue kept = null;
    List<IValue> owned = new ArrayList<>(); // made for this call, closed after it
    try {
      IValue[] args = {
        own(owned, IValue.from((PtNDArray) ids)),
        own(owned, IValue.from(offset)),
        own(owned, IValue.from(bias != null)),
        own(owned, IValue.from((PtNDArray) (bias != null ? bias : ids))),
        weights,
        packer != null ? packedFor(rows) : noPacking,
        own(owned, IValue.from((PtNDArray) rope[0])),
        own(owned, IValue.from((PtNDArray) rope[1])),
        own(owned, IValue.from(config.nHeads())),
        own(owned, IValue.from(config.nKvHeads())),
        own(owned, IValue.from(config.rmsNormEps())),
        cache != null ? cache : noCache,
        own(owned, IValue.from(cacheRow)),
        own(owned, IValue.from(keep)),
        own(owned, IValue.from(from)),
        own(owned, IValue.from(to))
      };
      if (config.moe() != null) {
        args = moeArguments(args, owned);
      }
      args = spliceArguments(args, owned, ids, offset, splice);
      try (IValue out = module.forward(args)) {
        IValue[] pair = out.toIValueTuple();
        try {
          NDArray logits = pair[0].toTensor(manager);
          if (keep) {
            kept = pair[1];
            pair[1] = null;
          }
          return new Output(logits, kept);
        } finally {
          for (IValue v : pair) {
            if (v != null) {
              v.close();
            }
          }
        }
      }
    } finally {
      owned.forEach(IValue::close);
    }
  }

  /**
   * The arguments followed by the splice's four: whether there is one, and the rows, query columns
   * and values of the spliced positions that fall in this forward's query {@code [offset, offset +
   * q)} (the others' keys and values come from the cache, made with the splice).
   */
  private IValue[] spliceArguments(
      IValue[] before, List<IValue> owned, NDArray ids, int offset, Splice splice) {
    IValue[] args = java.util.Arrays.copyOf(before, before.length + 4);
    int q = Math.toIntExact(ids.getShape().get(1));
    int b = Math.toIntExact(ids.getShape().get(0));
    List<Integer> kept = new ArrayList<>();
    if (splice != null) {
      for (int i = 0; i < splice.rows().length; i++) {
        int r = splice.rows()[i];
        int p = splice.positions()[i] - offset;
        if (r < 0 || r >= b) {
          throw new IllegalArgumentException("splice row " + r + " is outside the " + b + " rows");
        }
        if (p >= 0 && p < q) {
          kept.add(i);
        }
      }
    }
    boolean has = !kept.isEmpty();
    args[before.length] = own(owned, IValue.from(has));
    if (!has) {
      PtNDArray placeholder = (PtNDArray) ids;
      for (int i = 1; i <= 3; i++) {
        args[before.length + i] = own(owned, IValue.from(placeholder));
      }
      return args;
    }
    NDManager m = ids.getManager();
    long[] rows = new long[kept.size()];
    long[] cols = new long[kept.size()];
    long[] which = new long[kept.size()];
    for (int j = 0; j < kept.size(); j++) {
      int i = kept.get(j);
      rows[j] = splice.rows()[i];
      cols[j] = splice.positions()[i] - offset;
      which[j] = i;
    }
    NDArray values =
        kept.size() == splice.rows().length
            ? splice.features()
            : splice.features().get(m.create(which));
    args[before.length + 1] = own(owned, IValue.from((PtNDArray) m.create(rows)));
    args[before.length + 2] = own(owned, IValue.from((PtNDArray) m.create(cols)));
    args[before.length + 3] = own(owned, IValue.from((PtNDArray) values));
    return args;
  }

  /** The dense arguments followed by moe-forward.torchscript's four. */
  private IValue[] moeArguments(IValue[] dense, List<IValue> owned) {
    IValue[] args = java.util.Arrays.copyOf(dense, dense.length + 4);
    args[dense.length] = own(owned, IValue.from(config.qkNorm()));
    args[dense.length + 1] = own(owned, IValue.from(config.moe().topK()));
    args[dense.length + 2] = own(owned, IValue.from(config.moe().normTopKProb()));
    args[dense.length + 3] = own(owned, IValue.from(config.moe().expertBias()));
    return args;
  }

  private static IValue own(List<IValue> owned, IValue v) {
    owned.add(v);
    return v;
  }

  /**
   * The TorchScript source of the forward (resource {@code forward.torchscript}, llada-spec §1.2):
   * every shape is read from the weights and arguments, so one text serves every LLaDA model. With
   * {@code packed}, every projection and the LM head is {@code _mkl_linear} on the packed weights
   * {@code pw}.
   */
  static String source(boolean packed) {
    String code = resource("forward.torchscript");
    String plain = "    return torch.linear(x, weight)\n";
    if (!code.contains(plain)) {
      throw new IllegalStateException("forward.torchscript lost its linear method");
    }
    return packed
        ? code.replace(plain, "    return ops.mkl._mkl_linear(x, pw[slot], weight, None, rows)\n")
        : code;
  }

  /** A module whose forward packs the projection and LM head weights for {@code m} rows. */
  static String packSource() {
    return resource("pack.torchscript");
  }

  private static String resource(String name) {
    try (var in = TorchScriptForward.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
    noPacking.close();
    noCache.close();
    module.close();
  }
}

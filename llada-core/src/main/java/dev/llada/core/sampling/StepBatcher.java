package dev.llada.core.sampling;

import dev.llada.core.model.CacheStep;
import dev.llada.core.model.KvCache;
import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.VocabularyReductions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The step-level API the serving runtime schedules (ARCHITECTURE "Key interfaces"): {@link
 * #step(List)} advances every request of a batch by one step in shared forwards. Requests of any
 * prompt length, generation length, knobs and sampler mix; each joins and leaves between steps.
 * Likelihood work ({@link ScoringRows}) joins the shared full forward.
 *
 * <p>Full forwards (the reference sampler, the fast sampler without a cache, and every cache
 * refresh at a block boundary) share one forward: each request's canvas left-padded to the longest,
 * padding keys masked, logits over the union of the requests' candidate windows. The requests that
 * refresh there keep their keys and values as rows of one shared cache ({@link Slot}). Cached steps
 * of requests whose rows sit in the same shared cache and whose query is the same span of the
 * padded canvas share one cached forward over those rows (contiguous rows of the cache, so nothing
 * is copied): with equal generation and block lengths that is every request in the same block,
 * whatever its prompt length, since left padding aligns the canvases' ends. A shared cache is freed
 * when no request uses its rows any more.
 *
 * <p>Exact: padding changes no logit beyond float rounding (RoPE sees relative positions only), so
 * a request gives the tokens it gives alone, up to near-ties; each request draws from its own
 * random stream in its own order. Vocabulary work is done in Java on the logits (guidance per
 * request). Not thread-safe: one inference thread.
 */
public final class StepBatcher {

  private final MaskPredictor model;
  private final SpecialTokens special;
  private final StepCandidates candidates;
  private long forwards;
  private int liveCaches;

  /**
   * Logit values one forward may return by default: 64 Mi (256 MiB of float32; about 16 requests'
   * blocks of 32 at V = 126,464); a batch whose union window would need more runs as several
   * forwards.
   */
  public static final long DEFAULT_MAX_LOGITS_VALUES = 64L << 20;

  private final long maxLogitsValues;

  public StepBatcher(MaskPredictor model, SpecialTokens special) {
    this(model, special, DEFAULT_MAX_LOGITS_VALUES);
  }

  /** A batcher whose forwards return at most {@code maxLogitsValues} logits each. */
  public StepBatcher(MaskPredictor model, SpecialTokens special, long maxLogitsValues) {
    if (maxLogitsValues < 1) {
      throw new IllegalArgumentException("maxLogitsValues must be positive");
    }
    this.model = model;
    this.special = special;
    this.candidates = new StepCandidates(model, special);
    this.maxLogitsValues = maxLogitsValues;
  }

  /** Shared caches holding memory now (leak check: 0 once every request is done). */
  public int liveCaches() {
    return liveCaches;
  }

  /** Forwards run so far (shared ones count once). */
  public long forwards() {
    return forwards;
  }

  /** A request for this batcher's model. */
  public Denoising request(
      int[] prompt,
      SamplingConfig config,
      Acceleration acceleration,
      java.util.random.RandomGenerator random,
      StepEvent.Listener listener) {
    return new Denoising(prompt, config, acceleration, random, listener, model, special);
  }

  /**
   * Advances every request that is not done by one step; returns how many stepped. A request that
   * is done afterwards keeps its result ({@link Denoising#result()}) and may be dropped; one whose
   * listener threw is done with its {@link Denoising#failure()}, the others go on.
   */
  public int step(List<Denoising> batch) {
    return step(batch, List.of());
  }

  /**
   * As {@link #step(List)}, with likelihood work: every {@link ScoringRows} not yet scored joins
   * the shared full forward and is scored from it. Returns how many requests and scorings ran.
   */
  public int step(List<Denoising> batch, List<ScoringRows> scoring) {
    List<ScoringRows> scores = scoring.stream().filter(s -> !s.done()).toList();
    List<Denoising> full = new ArrayList<>();
    Map<Shared, List<Denoising>> cached = new IdentityHashMap<>();
    int stepped = 0;
    for (Denoising d : batch) {
      if (d.done()) {
        release(d);
        continue;
      }
      stepped++;
      if (d.kind() == Denoising.Kind.REUSE || d.kind() == Denoising.Kind.UPDATE) {
        cached.computeIfAbsent(d.slot.shared(), s -> new ArrayList<>()).add(d);
      } else {
        full.add(d);
      }
    }
    // rows of requests whose cached steps will query the same span of the padded canvas go next
    // to each other (left padding aligns canvas ends): their cached forwards take contiguous rows
    full.sort(
        Comparator.comparingInt((Denoising d) -> d.length() - d.lo())
            .thenComparingInt(Denoising::cachedQueryLength));
    for (List<Object> chunk : chunks(full, scores)) {
      List<Denoising> ds = new ArrayList<>();
      List<ScoringRows> ss = new ArrayList<>();
      for (Object o : chunk) {
        if (o instanceof Denoising d) {
          ds.add(d);
        } else {
          ss.add((ScoringRows) o);
        }
      }
      fullForward(ds, ss);
    }
    for (Map.Entry<Shared, List<Denoising>> e : cached.entrySet()) {
      cachedForwards(e.getKey(), e.getValue());
    }
    for (Denoising d : batch) {
      if (d.done()) {
        release(d);
      }
    }
    return stepped + scores.size();
  }

  /**
   * A request leaves before it is done (cancelled, its client gone): its rows of a shared cache are
   * given up. Done requests leave by themselves.
   */
  public void leave(Denoising d) {
    d.leave();
    release(d);
  }

  /** Runs every request of {@code batch} to its end, one shared step after another. */
  public void run(List<Denoising> batch) {
    while (step(batch) > 0) {
      // each step advances every request that is not done
    }
  }

  /** The requests' full forwards as one, left-padded; refreshing requests share the new cache. */
  /**
   * The full forwards' work in chunks whose logits stay within {@link #maxLogitsValues}: with left
   * padding a chunk's window runs from its largest distance of a candidate window's start to the
   * canvas end to its smallest of a window's end, whatever the padded length.
   */
  private List<List<Object>> chunks(List<Denoising> full, List<ScoringRows> scores) {
    List<List<Object>> chunks = new ArrayList<>();
    List<Object> chunk = new ArrayList<>();
    long vocab = model.config().embeddingSize();
    int farthest = 0;
    int nearest = Integer.MAX_VALUE;
    long rows = 0;
    List<Object> work = new ArrayList<>(full);
    work.addAll(scores);
    for (Object o : work) {
      int start = o instanceof Denoising d ? d.length() - d.from() : scoringSpan((ScoringRows) o);
      int end = o instanceof Denoising d ? d.length() - d.hi() : 0;
      int r = o instanceof Denoising d ? d.rows() : ((ScoringRows) o).rows();
      int f = Math.max(farthest, start);
      int n = Math.min(nearest, end);
      if (!chunk.isEmpty() && (rows + r) * (f - n) * vocab > maxLogitsValues) {
        chunks.add(chunk);
        chunk = new ArrayList<>();
        f = start;
        n = end;
        rows = 0;
      }
      chunk.add(o);
      farthest = f;
      nearest = n;
      rows += r;
    }
    if (!chunk.isEmpty()) {
      chunks.add(chunk);
    }
    return chunks;
  }

  private static int scoringSpan(ScoringRows s) {
    return s.length() - s.promptLength;
  }

  private void fullForward(List<Denoising> group, List<ScoringRows> scores) {
    int length =
        Math.max(
            group.stream().mapToInt(Denoising::length).max().orElse(0),
            scores.stream().mapToInt(ScoringRows::length).max().orElse(0));
    int rows =
        group.stream().mapToInt(Denoising::rows).sum()
            + scores.stream().mapToInt(ScoringRows::rows).sum();
    int[][] tokens = new int[rows][];
    boolean[][] attention = new boolean[rows][];
    int[] firstRow = new int[group.size()];
    int from = Integer.MAX_VALUE;
    int to = 0;
    boolean padded = false;
    boolean refresh = false;
    int r = 0;
    for (int i = 0; i < group.size(); i++) {
      Denoising d = group.get(i);
      int pad = length - d.length();
      padded |= pad > 0;
      refresh |= d.kind() == Denoising.Kind.REFRESH;
      firstRow[i] = r;
      for (int[] row : d.forwardRows(candidates)) {
        tokens[r] = leftPadded(row, pad);
        attention[r] = keys(d.length(), pad);
        r++;
      }
      from = Math.min(from, d.from() + pad);
      to = Math.max(to, d.hi() + pad);
    }
    int[] scoreRow = new int[scores.size()];
    for (int i = 0; i < scores.size(); i++) { // likelihood rows: the answer positions
      ScoringRows sc = scores.get(i);
      int pad = length - sc.length();
      padded |= pad > 0;
      scoreRow[i] = r;
      for (int[] row : sc.forwardRows()) {
        tokens[r] = leftPadded(row, pad);
        attention[r] = keys(sc.length(), pad);
        r++;
      }
      from = Math.min(from, sc.promptLength + pad);
      to = Math.max(to, length);
    }
    Shared shared = null;
    CacheStep step = null;
    if (refresh) {
      shared = new Shared(model.newCache(), tokens, attention);
      liveCaches++;
      step = new CacheStep.Refresh(shared.cache);
    }
    try (Logits logits = model.logits(tokens, padded ? attention : null, from, to, step)) {
      forwards++;
      for (int i = 0; i < group.size(); i++) {
        Denoising d = group.get(i);
        int pad = length - d.length();
        if (d.kind() == Denoising.Kind.REFRESH) {
          release(d);
          d.slot = new Slot(shared, firstRow[i], pad);
          shared.users++;
        }
        commit(d, logits, firstRow[i], from - pad, d.length()); // billed its own canvas
      }
      for (int i = 0; i < scores.size(); i++) {
        score(scores.get(i), logits, scoreRow[i], from - (length - scores.get(i).length()));
      }
    } finally {
      if (shared != null && shared.users == 0) {
        shared.cache.close();
        liveCaches--;
      }
    }
  }

  /**
   * Cached steps of requests whose keys and values are rows of {@code shared}: one forward per
   * query span, over the contiguous rows from the first to the last request with that span.
   */
  private void cachedForwards(Shared shared, List<Denoising> members) {
    members.sort(Comparator.comparingInt(d -> d.slot.row()));
    List<Denoising> run = new ArrayList<>();
    long vocab = model.config().embeddingSize();
    for (Denoising d : members) {
      int row0 = run.isEmpty() ? d.slot.row() : run.get(0).slot.row();
      long rows = d.slot.row() + d.rows() - row0;
      long window = (long) d.queryTo() - d.queryFrom(); // the logits lie within the query
      if (!run.isEmpty()
          && (!sameQuery(run.get(0), d) || rows * window * vocab > maxLogitsValues)) {
        cachedForward(shared, run);
        run = new ArrayList<>();
      }
      run.add(d);
    }
    cachedForward(shared, run);
  }

  private static boolean sameQuery(Denoising a, Denoising b) {
    return a.kind() == b.kind()
        && a.queryFrom() + a.slot.pad() == b.queryFrom() + b.slot.pad()
        && a.queryTo() + a.slot.pad() == b.queryTo() + b.slot.pad();
  }

  private void cachedForward(Shared shared, List<Denoising> run) {
    Denoising first = run.get(0);
    Denoising last = run.get(run.size() - 1);
    int row0 = first.slot.row();
    int row1 = last.slot.row() + last.rows();
    for (Denoising d : run) { // the rows' tokens now; rows of requests not stepping keep theirs
      int r = d.slot.row();
      for (int[] row : d.forwardRows(candidates)) {
        shared.tokens[r++] = leftPadded(row, d.slot.pad());
      }
    }
    int[][] tokens = java.util.Arrays.copyOfRange(shared.tokens, row0, row1);
    boolean[][] attention = java.util.Arrays.copyOfRange(shared.attention, row0, row1);
    boolean padded = false;
    for (boolean[] a : attention) {
      for (boolean k : a) {
        padded |= !k;
      }
    }
    int queryFrom = first.queryFrom() + first.slot.pad();
    int queryTo = first.queryTo() + first.slot.pad();
    int from = Integer.MAX_VALUE;
    int to = 0;
    for (Denoising d : run) {
      from = Math.min(from, d.from() + d.slot.pad());
      to = Math.max(to, d.hi() + d.slot.pad());
    }
    boolean update = first.kind() == Denoising.Kind.UPDATE;
    Shared updated = null;
    CacheStep step;
    if (update) { // the run's rows, their keys and values kept before the query, move to a new
      // cache
      updated = new Shared(model.newCache(), tokens, attention);
      liveCaches++;
      step = new CacheStep.Update(shared.cache, queryFrom, row0, updated.cache);
    } else {
      step = new CacheStep.Reuse(shared.cache, queryFrom, queryTo, row0);
    }
    try (Logits logits = model.logits(tokens, padded ? attention : null, from, to, step)) {
      forwards++;
      for (Denoising d : run) {
        int row = d.slot.row() - row0;
        if (updated != null) {
          int pad = d.slot.pad();
          release(d);
          d.slot = new Slot(updated, row, pad);
          updated.users++;
        }
        commit(d, logits, row, from - d.slot.pad(), queryTo - queryFrom);
      }
    } finally {
      if (updated != null && updated.users == 0) {
        updated.cache.close();
        liveCaches--;
      }
    }
  }

  /**
   * Commits one request's step from a shared forward's logits: its rows from {@code row}, the
   * logits' first position being {@code logitsFrom} in the request's own canvas coordinates.
   *
   * @param computed positions computed for each of its rows (the billing unit)
   */
  private void commit(Denoising d, Logits logits, int row, int logitsFrom, int computed) {
    int from = d.from();
    int hi = d.hi();
    try (Logits own = slice(logits, row, d.rows(), from - logitsFrom, hi - from)) {
      Logits guided = d.rows() == 2 ? VocabularyReductions.guide(own, d.config.cfgScale()) : own;
      try {
        List<StepCandidates.Candidate> ranked =
            candidates.fromComputed(new int[][] {d.x}, guided, from, hi, d.config, d.random)[0];
        d.commit(ranked, computed);
      } finally {
        if (guided != own) {
          guided.close();
        }
      }
    }
  }

  /** Σ −log p(true token) at each row's masked answer positions (guided with CFG). */
  private static void score(ScoringRows sc, Logits logits, int row, int logitsFrom) {
    int from = sc.promptLength;
    int n = sc.length() - from;
    try (Logits own = slice(logits, row, sc.rows(), from - logitsFrom, n)) {
      Logits guided = sc.cfgScale > 0 ? VocabularyReductions.guide(own, sc.cfgScale) : own;
      try {
        double[] losses = new double[sc.noisy.length];
        float[] values = new float[guided.vocab()];
        for (int r = 0; r < sc.noisy.length; r++) {
          for (int p = from; p < sc.length(); p++) {
            if (sc.noisy[r][p] == sc.maskId) {
              guided.read(guided.offset(r, p - from), values, 0, values.length);
              losses[r] -= VocabularyReductions.logSoftmaxAt(values, sc.truth[p]);
            }
          }
        }
        sc.scored(losses);
      } finally {
        if (guided != own) {
          guided.close();
        }
      }
    }
  }

  /** A heap copy of rows {@code [row, row + rows)} and positions {@code [at, at + n)}. */
  private static Logits slice(Logits logits, int row, int rows, int at, int n) {
    int vocab = logits.vocab();
    float[] data = new float[rows * n * vocab];
    for (int r = 0; r < rows; r++) {
      for (int p = 0; p < n; p++) {
        logits.read(logits.offset(row + r, at + p), data, (r * n + p) * vocab, vocab);
      }
    }
    return new Logits(rows, n, vocab, data);
  }

  private int[] leftPadded(int[] row, int pad) {
    if (pad == 0) {
      return row.clone();
    }
    int[] out = new int[pad + row.length];
    java.util.Arrays.fill(out, 0, pad, special.eosId()); // the padding id
    System.arraycopy(row, 0, out, pad, row.length);
    return out;
  }

  private static boolean[] keys(int length, int pad) {
    boolean[] a = new boolean[pad + length];
    java.util.Arrays.fill(a, pad, a.length, true);
    return a;
  }

  /** Frees the request's rows of its shared cache; the cache goes with its last user. */
  private void release(Denoising d) {
    if (d.slot != null) {
      Shared s = d.slot.shared();
      d.slot = null;
      if (--s.users == 0) {
        s.cache.close();
        liveCaches--;
      }
    }
  }

  /** A KV cache several requests hold rows of, with the padded rows it was filled from. */
  static final class Shared {
    final KvCache cache;
    final int[][] tokens;
    final boolean[][] attention;
    int users;

    Shared(KvCache cache, int[][] tokens, boolean[][] attention) {
      this.cache = cache;
      this.tokens = tokens;
      this.attention = attention;
    }
  }

  /** Where a request's keys and values are: rows from {@code row} of a shared cache, padded. */
  record Slot(Shared shared, int row, int pad) {}
}

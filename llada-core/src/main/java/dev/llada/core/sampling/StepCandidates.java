package dev.llada.core.sampling;

import dev.llada.core.model.CacheStep;
import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.Predictions;
import dev.llada.core.model.VocabularyReductions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One denoising step's forward and what it proposes (llada-spec §2.2–§2.7): for every masked
 * position of {@code [from, hi)} of every row, x0 (argmax, or Gumbel-max at T > 0) and the
 * confidence it would be committed with (softmax at x0 for low-confidence remasking, a float32
 * uniform for random remasking). Samplers differ only in which candidates they commit.
 */
final class StepCandidates {

  /** A masked position, the token proposed there and its confidence. */
  record Candidate(int position, int token, double confidence) {}

  private final MaskPredictor model;
  private final SpecialTokens special;

  StepCandidates(MaskPredictor model, SpecialTokens special) {
    this.model = model;
    this.special = special;
  }

  /**
   * The candidates of each row, most confident first (ties: the lower position), after one forward
   * over positions {@code [from, hi)}, which may use a KV cache ({@code cache}, or null).
   */
  List<Candidate>[] propose(
      int[][] x,
      boolean[][] attention,
      boolean[][] promptIndex,
      SamplingConfig config,
      RandomGenerator random,
      int from,
      int hi,
      CacheStep cache) {
    int rows = x.length;
    long elements =
        (long) rows
            * (hi - from)
            * model.config().embeddingSize()
            * (config.cfgScale() > 0 ? 2 : 1);
    List<Candidate>[] out;
    if (config.temperature() == 0 && model.reducesOnDevice(elements)) {
      // greedy, reduced where the logits are: only ids and confidences come back
      out =
          fromPredictions(
              x,
              predict(x, attention, promptIndex, config, from, hi, cache),
              from,
              hi,
              config,
              random);
    } else {
      if (elements > Logits.MAX_JAVA_VALUES) {
        throw new IllegalArgumentException(
            "one step's logits ("
                + elements
                + " values) exceed what Java can read in one buffer; at temperature > 0 use fewer"
                + " rows or a shorter block");
      }
      try (Logits logits = forward(x, attention, promptIndex, config.cfgScale(), from, hi, cache)) {
        out = fromLogits(x, logits, from, hi, config, random);
      }
    }
    for (List<Candidate> c : out) {
      rank(c);
    }
    return out;
  }

  /**
   * The candidates of each row of {@code x} from logits already computed (guided, one logits row
   * per canvas row, positions {@code [from, hi)}), most confident first.
   */
  List<Candidate>[] fromComputed(
      int[][] x, Logits logits, int from, int hi, SamplingConfig config, RandomGenerator random) {
    List<Candidate>[] out = fromLogits(x, logits, from, hi, config, random);
    for (List<Candidate> c : out) {
      rank(c);
    }
    return out;
  }

  /** Most confident first; ties: the lower position. */
  private static void rank(List<Candidate> c) {
    c.sort(
        Comparator.comparingDouble(Candidate::confidence)
            .reversed()
            .thenComparingInt(Candidate::position));
  }

  /** The unconditional copy of a canvas row: every prompt column masked (§2.6). */
  int[] unconditional(int[] row, boolean[] promptIndex) {
    int[] out = row.clone();
    for (int i = 0; i < out.length; i++) {
      if (promptIndex[i]) {
        out[i] = special.maskId();
      }
    }
    return out;
  }

  /** The mask predictor, or classifier-free guidance around it (§2.6, paper Eq. 16). */
  private Logits forward(
      int[][] x,
      boolean[][] attention,
      boolean[][] promptIndex,
      double cfgScale,
      int from,
      int to,
      CacheStep cache) {
    if (cfgScale <= 0) {
      return model.logits(x, attention, from, to, cache);
    }
    try (Logits stacked =
        model.logits(guidanceRows(x, promptIndex), guidanceAttention(attention), from, to, cache)) {
      return VocabularyReductions.guide(stacked, cfgScale);
    }
  }

  /** The conditional rows, then their unconditional copies with every prompt column masked. */
  private int[][] guidanceRows(int[][] x, boolean[][] promptIndex) {
    int rows = x.length;
    int[][] both = new int[2 * rows][];
    for (int r = 0; r < rows; r++) {
      both[r] = x[r];
      both[rows + r] = unconditional(x[r], promptIndex[r]);
    }
    return both;
  }

  private static boolean[][] guidanceAttention(boolean[][] attention) {
    if (attention == null) {
      return null;
    }
    boolean[][] both = new boolean[2 * attention.length][];
    for (int r = 0; r < attention.length; r++) {
      both[r] = attention[r];
      both[attention.length + r] = attention[r];
    }
    return both;
  }

  /**
   * A greedy step's x0 and confidences (T = 0) where the logits are: EOS banned under {@code
   * logits_eos_inf}; EOS and EoT without confidence under {@code confidence_eos_eot_inf} (§2.7).
   */
  private Predictions predict(
      int[][] x,
      boolean[][] attention,
      boolean[][] promptIndex,
      SamplingConfig config,
      int from,
      int to,
      CacheStep cache) {
    int[] banned = config.logitsEosInf() ? new int[] {special.eosId()} : new int[0];
    int[] unconfident = new int[0];
    if (config.remasking() == Remasking.LOW_CONFIDENCE && config.confidenceEosEotInf()) {
      unconfident =
          special.eotId() >= 0
              ? new int[] {special.eosId(), special.eotId()}
              : new int[] {special.eosId()};
    }
    boolean[][] wanted = new boolean[x.length][to - from]; // the masked positions only
    for (int r = 0; r < x.length; r++) {
      for (int p = from; p < to; p++) {
        wanted[r][p - from] = x[r][p] == special.maskId();
      }
    }
    double cfg = config.cfgScale();
    return cfg <= 0
        ? model.predict(x, attention, from, to, 0, banned, unconfident, wanted, cache)
        : model.predict(
            guidanceRows(x, promptIndex),
            guidanceAttention(attention),
            from,
            to,
            cfg,
            banned,
            unconfident,
            wanted,
            cache);
  }

  @SuppressWarnings("unchecked")
  private List<Candidate>[] fromPredictions(
      int[][] x,
      Predictions predictions,
      int from,
      int hi,
      SamplingConfig config,
      RandomGenerator random) {
    List<Candidate>[] out = new List[x.length];
    for (int r = 0; r < x.length; r++) {
      out[r] = new ArrayList<>();
      for (int p = from; p < hi; p++) {
        if (x[r][p] != special.maskId()) {
          continue; // prompt and committed tokens have confidence −∞
        }
        double confidence =
            config.remasking() == Remasking.LOW_CONFIDENCE
                ? predictions.confidence(r, p - from)
                : random.nextFloat(); // torch.rand: float32 U[0,1)
        out[r].add(new Candidate(p, predictions.token(r, p - from), confidence));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private List<Candidate>[] fromLogits(
      int[][] x, Logits logits, int from, int hi, SamplingConfig config, RandomGenerator random) {
    int vocab = logits.vocab();
    double[] l = new double[vocab];
    float[] row = new float[vocab];
    List<Candidate>[] out = new List[x.length];
    for (int r = 0; r < x.length; r++) {
      out[r] = new ArrayList<>();
      for (int p = from; p < hi; p++) {
        if (x[r][p] != special.maskId()) {
          continue; // prompt and committed tokens have confidence −∞
        }
        logits.read(logits.offset(r, p - from), row, 0, vocab);
        for (int v = 0; v < vocab; v++) {
          l[v] = row[v];
        }
        if (config.logitsEosInf()) {
          l[special.eosId()] = Double.NEGATIVE_INFINITY;
        }
        int x0 =
            config.temperature() == 0
                ? VocabularyReductions.argmax(l)
                : VocabularyReductions.gumbelArgmax(l, config.temperature(), random);
        double confidence;
        if (config.remasking() == Remasking.LOW_CONFIDENCE) {
          if (config.confidenceEosEotInf()) {
            // §2.7: at T=0 both EOS and EoT lose their logits before the softmax; at T>0 the
            // reference only reaches EoT (its EOS write lands on the noisy copy)
            if (config.temperature() == 0) {
              l[special.eosId()] = Double.NEGATIVE_INFINITY;
            }
            if (special.eotId() >= 0) {
              l[special.eotId()] = Double.NEGATIVE_INFINITY;
            }
          }
          confidence = VocabularyReductions.softmaxAt(l, x0);
        } else {
          confidence = random.nextFloat(); // torch.rand: float32 U[0,1)
        }
        out[r].add(new Candidate(p, x0, confidence));
      }
    }
    return out;
  }

  /** Commits {@code chosen} (a prefix of row {@code r}'s ranked candidates) into the canvas. */
  static void commit(
      int[][] x,
      int r,
      List<Candidate> chosen,
      int[][] positions,
      int[][] tokens,
      double[][] confidences) {
    int k = chosen.size();
    positions[r] = new int[k];
    tokens[r] = new int[k];
    confidences[r] = new double[k];
    for (int j = 0; j < k; j++) {
      Candidate c = chosen.get(j);
      x[r][c.position()] = c.token();
      positions[r][j] = c.position();
      tokens[r][j] = c.token();
      confidences[r][j] = c.confidence();
    }
  }
}

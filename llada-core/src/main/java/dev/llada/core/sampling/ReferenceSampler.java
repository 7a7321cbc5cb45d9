package dev.llada.core.sampling;

import dev.llada.core.model.Logits;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.model.Predictions;
import dev.llada.core.model.VocabularyReductions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The reverse process of LLaDA's {@code generate.py} (llada-spec §2.2), step for step.
 *
 * <p>The generation starts fully masked after the prompt and is decoded block by block; each block
 * gets {@code steps / numBlocks} steps whose commit quotas follow {@link TransferSchedule}. At each
 * step the model predicts every masked position; the most confident predictions (or a random
 * subset) among the masked positions before the end of the current block are committed, and
 * committed tokens are never re-masked. Deviations, all invisible at temperature 0 except the last:
 * random numbers come from a seeded Java generator, not torch's stream; the confidence softmax is
 * computed in float64 (as {@code app.py} does); ties among equal confidences commit the lower
 * position first ({@code torch.topk} leaves their order unspecified).
 */
public final class ReferenceSampler {

  private final MaskPredictor model;
  private final SpecialTokens special;

  public ReferenceSampler(MaskPredictor model, SpecialTokens special) {
    this.model = model;
    this.special = special;
  }

  /**
   * Generates for a batch of left-padded prompts.
   *
   * @param prompt {@code B × Lp} ids, left-padded to a common length
   * @param attentionMask {@code B × Lp}, false on padding; null when no row is padded
   * @param config the sampler knobs
   * @param random source of Gumbel noise and random remasking scores (seed it for reproducibility)
   * @param listener receives one event per step
   */
  public Generation generate(
      int[][] prompt,
      boolean[][] attentionMask,
      SamplingConfig config,
      RandomGenerator random,
      StepEvent.Listener listener) {
    int rows = prompt.length;
    if (rows == 0) {
      throw new IllegalArgumentException("the batch has no prompts");
    }
    int promptLength = prompt[0].length;
    int length = promptLength + config.genLength();
    if (length > model.config().maxSequenceLength()) {
      throw new IllegalArgumentException(
          "prompt ("
              + promptLength
              + ") + gen_length ("
              + config.genLength()
              + ") exceeds the model's max_sequence_length "
              + model.config().maxSequenceLength());
    }
    if (special.maskId() == special.eosId()) {
      throw new IllegalArgumentException("the padding/EOS id must differ from the mask id");
    }
    int mask = special.maskId();
    int[][] x = new int[rows][length];
    boolean[][] attention = attentionMask == null ? null : new boolean[rows][length];
    for (int r = 0; r < rows; r++) {
      if (prompt[r].length != promptLength) {
        throw new IllegalArgumentException("prompts must be left-padded to one length");
      }
      System.arraycopy(prompt[r], 0, x[r], 0, promptLength);
      java.util.Arrays.fill(x[r], promptLength, length, mask);
      if (attention != null) {
        System.arraycopy(attentionMask[r], 0, attention[r], 0, promptLength);
        java.util.Arrays.fill(attention[r], promptLength, length, true);
      }
    }
    // prompt_index: every original prompt column (padding included), fixed at the start (§2.6)
    boolean[][] promptIndex = new boolean[rows][length];
    for (int r = 0; r < rows; r++) {
      for (int i = 0; i < length; i++) {
        promptIndex[r][i] = x[r][i] != mask;
      }
    }

    int stepsPerBlock = config.stepsPerBlock();
    int nfe = 0;
    int step = 0;
    for (int block = 0; block < config.numBlocks(); block++) {
      int lo = promptLength + block * config.blockLength();
      int hi = lo + config.blockLength();
      int[][] quota = new int[rows][];
      for (int r = 0; r < rows; r++) {
        quota[r] = TransferSchedule.numTransferTokens(countMasks(x[r], lo, hi), stepsPerBlock);
      }
      for (int i = 0; i < stepsPerBlock; i++, step++) {
        int from = firstMask(x, hi);
        if (from < 0) { // nothing left to decode before hi (quota 0 steps): still a forward in §2.2
          from = lo;
        }
        StepEvent event;
        long elements =
            (long) rows
                * (hi - from)
                * model.config().embeddingSize()
                * (config.cfgScale() > 0 ? 2 : 1);
        if (config.temperature() == 0 && model.reducesOnDevice(elements)) {
          // greedy, reduced where the logits are: only ids and confidences come back
          Predictions predictions = predict(x, attention, promptIndex, config, from, hi);
          nfe++;
          event = commit(x, predictions, from, hi, quota, i, config, random, step, block);
        } else {
          try (Logits logits = forward(x, attention, promptIndex, config.cfgScale(), from, hi)) {
            nfe++;
            event = commit(x, logits, from, hi, quota, i, config, random, step, block);
          }
        }
        listener.onStep(event);
      }
    }
    return new Generation(x, promptLength, nfe);
  }

  /** The mask predictor, or classifier-free guidance around it (§2.6, paper Eq. 16). */
  private Logits forward(
      int[][] x,
      boolean[][] attention,
      boolean[][] promptIndex,
      double cfgScale,
      int from,
      int to) {
    if (cfgScale <= 0) {
      return model.logits(x, attention, from, to);
    }
    int[][] both = guidanceRows(x, promptIndex);
    boolean[][] bothAttention = guidanceAttention(attention);
    try (Logits stacked = model.logits(both, bothAttention, from, to)) {
      return ClassifierFreeGuidance.combine(stacked, cfgScale);
    }
  }

  /** The stacked conditional and unconditional rows of guidance (§2.6). */
  private int[][] guidanceRows(int[][] x, boolean[][] promptIndex) {
    int rows = x.length;
    int[][] both = new int[2 * rows][];
    for (int r = 0; r < rows; r++) {
      both[r] = x[r];
      int[] unconditional = x[r].clone(); // all prompt columns masked
      for (int i = 0; i < unconditional.length; i++) {
        if (promptIndex[r][i]) {
          unconditional[i] = special.maskId();
        }
      }
      both[rows + r] = unconditional;
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
   * One greedy step's x0 and confidences (T = 0): EOS banned under {@code logits_eos_inf}; EOS and
   * EoT without confidence under {@code confidence_eos_eot_inf} (§2.7).
   */
  private Predictions predict(
      int[][] x,
      boolean[][] attention,
      boolean[][] promptIndex,
      SamplingConfig config,
      int from,
      int to) {
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
        ? model.predict(x, attention, from, to, 0, banned, unconfident, wanted)
        : model.predict(
            guidanceRows(x, promptIndex),
            guidanceAttention(attention),
            from,
            to,
            cfg,
            banned,
            unconfident,
            wanted);
  }

  /**
   * {@link #commit(int[][], Logits, int, int, int[][], int, SamplingConfig, RandomGenerator, int,
   * int)} on reduced predictions.
   */
  private StepEvent commit(
      int[][] x,
      Predictions predictions,
      int from,
      int hi,
      int[][] quota,
      int stepInBlock,
      SamplingConfig config,
      RandomGenerator random,
      int step,
      int block) {
    int rows = x.length;
    int[][] positions = new int[rows][];
    int[][] tokens = new int[rows][];
    double[][] confidences = new double[rows][];
    for (int r = 0; r < rows; r++) {
      List<Candidate> candidates = new ArrayList<>();
      for (int p = from; p < hi; p++) {
        if (x[r][p] != special.maskId()) {
          continue; // prompt and committed tokens have confidence −∞
        }
        double confidence =
            config.remasking() == Remasking.LOW_CONFIDENCE
                ? predictions.confidence(r, p - from)
                : random.nextFloat(); // torch.rand: float32 U[0,1)
        candidates.add(new Candidate(p, predictions.token(r, p - from), confidence));
      }
      Selected chosen = select(x, r, candidates, quota[r][stepInBlock]);
      positions[r] = chosen.positions();
      tokens[r] = chosen.tokens();
      confidences[r] = chosen.confidences();
    }
    return new StepEvent(step, block, positions, tokens, confidences);
  }

  private record Selected(int[] positions, int[] tokens, double[] confidences) {}

  /** Commits the {@code k} most confident candidates of row {@code r} (ties: lower position). */
  private static Selected select(int[][] x, int r, List<Candidate> candidates, int quota) {
    candidates.sort(
        Comparator.comparingDouble(Candidate::confidence)
            .reversed()
            .thenComparingInt(Candidate::position));
    int k = Math.min(quota, candidates.size());
    int[] positions = new int[k];
    int[] tokens = new int[k];
    double[] confidences = new double[k];
    for (int j = 0; j < k; j++) {
      Candidate c = candidates.get(j);
      x[r][c.position()] = c.token();
      positions[j] = c.position();
      tokens[j] = c.token();
      confidences[j] = c.confidence();
    }
    return new Selected(positions, tokens, confidences);
  }

  private record Candidate(int position, int token, double confidence) {}

  private StepEvent commit(
      int[][] x,
      Logits logits,
      int from,
      int hi,
      int[][] quota,
      int stepInBlock,
      SamplingConfig config,
      RandomGenerator random,
      int step,
      int block) {
    int rows = x.length;
    int vocab = logits.vocab();
    double[] l = new double[vocab];
    float[] row = new float[vocab];
    int[][] positions = new int[rows][];
    int[][] tokens = new int[rows][];
    double[][] confidences = new double[rows][];
    for (int r = 0; r < rows; r++) {
      List<Candidate> candidates = new ArrayList<>();
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
            config.temperature() == 0 ? argmax(l) : gumbelArgmax(l, config.temperature(), random);
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
          confidence = softmaxAt(l, x0);
        } else {
          confidence = random.nextFloat(); // torch.rand: float32 U[0,1)
        }
        candidates.add(new Candidate(p, x0, confidence));
      }
      Selected chosen = select(x, r, candidates, quota[r][stepInBlock]);
      positions[r] = chosen.positions();
      tokens[r] = chosen.tokens();
      confidences[r] = chosen.confidences();
    }
    return new StepEvent(step, block, positions, tokens, confidences);
  }

  /** Gumbel-max in float64, log-space form of {@code exp(l) / (−ln u)^T} (§2.4). */
  static int gumbelArgmax(double[] logits, double temperature, RandomGenerator random) {
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int v = 0; v < logits.length; v++) {
      double u = random.nextDouble();
      double score = logits[v] - temperature * Math.log(-Math.log(u)); // u = 0 gives −∞
      if (score > bestScore) {
        bestScore = score;
        best = v;
      }
    }
    return best;
  }

  static int argmax(double[] values) {
    return VocabularyReductions.argmax(values);
  }

  /** softmax(values)[index], stable; 0 when the value itself is −∞. */
  static double softmaxAt(double[] values, int index) {
    return VocabularyReductions.softmaxAt(values, index);
  }

  private int countMasks(int[] row, int lo, int hi) {
    int n = 0;
    for (int i = lo; i < hi; i++) {
      if (row[i] == special.maskId()) {
        n++;
      }
    }
    return n;
  }

  /** The first masked position before {@code hi} in any row, or −1. */
  private int firstMask(int[][] x, int hi) {
    int first = -1;
    for (int[] row : x) {
      for (int i = 0; i < hi; i++) {
        if (row[i] == special.maskId()) {
          if (first < 0 || i < first) {
            first = i;
          }
          break;
        }
      }
    }
    return first;
  }
}

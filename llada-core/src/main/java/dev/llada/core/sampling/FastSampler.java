package dev.llada.core.sampling;

import dev.llada.core.model.CacheStep;
import dev.llada.core.model.KvCache;
import dev.llada.core.model.MaskPredictor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The reference sampler's canvas, blocks and candidates with the switches of {@link Acceleration}
 * (Fast-dLLM's {@code generate}, {@code generate_with_prefix_cache} and {@code
 * generate_with_dual_cache}, acceleration.md §2):
 *
 * <ul>
 *   <li>parallel decoding commits what {@link ParallelDecoding} accepts of the block's ranked
 *       candidates, and at least the reference sampler's quota for the step, so a block is done
 *       within its {@code steps / numBlocks}; with {@code steps = gen_length} (the default) the
 *       quota is one token and the rule decides the rest, as in Fast-dLLM. Without a rule the quota
 *       alone is committed, as in the reference sampler;
 *   <li>a block ends as soon as it has no mask left (a token committed as the mask id stays masked,
 *       as in generate.py, and the cap ends the block);
 *   <li>with a KV cache, a block's first step is a full forward that refreshes the cache (with an
 *       incremental refresh, from the previous block on); its other steps compute the block (dual)
 *       or the block and everything after it (prefix) against the cached keys and values;
 *   <li>early stop ends the generation when every row's answer is fixed.
 * </ul>
 */
public final class FastSampler implements Sampler {

  private final MaskPredictor model;
  private final SpecialTokens special;
  private final StepCandidates candidates;
  private final Acceleration acceleration;

  /** A sampler committing what {@code rule} accepts at each step, without a cache. */
  public FastSampler(MaskPredictor model, SpecialTokens special, ParallelDecoding rule) {
    this(model, special, Acceleration.parallel(java.util.Objects.requireNonNull(rule, "rule")));
  }

  /** A sampler with the given switches. */
  public FastSampler(MaskPredictor model, SpecialTokens special, Acceleration acceleration) {
    if (acceleration.cache() != Acceleration.Cache.NONE && !model.caches()) {
      throw new IllegalArgumentException(
          "the " + acceleration.cache().wireName() + " cache needs a forward that keeps one");
    }
    this.model = model;
    this.special = special;
    this.candidates = new StepCandidates(model, special);
    this.acceleration = acceleration;
  }

  /**
   * Generates for a batch of left-padded prompts; rows that finished a block wait (no commits)
   * while the others finish theirs.
   */
  @Override
  public Generation generate(
      int[][] prompt,
      boolean[][] attentionMask,
      SamplingConfig config,
      RandomGenerator random,
      StepEvent.Listener listener) {
    if (acceleration.parallel() != null && config.remasking() != Remasking.LOW_CONFIDENCE) {
      throw new IllegalArgumentException(
          "parallel decoding ranks by confidence: it needs low_confidence remasking");
    }
    DiffusionCanvas canvas = new DiffusionCanvas(prompt, attentionMask, config, model, special);
    int rows = prompt.length;
    int mask = special.maskId();
    int[][] x = canvas.x;
    int length = x[0].length;
    int guidance = config.cfgScale() > 0 ? 2 : 1;
    int budget = config.stepsPerBlock();
    Acceleration.Cache cache = acceleration.cache();
    ParallelDecoding rule = acceleration.parallel();
    int nfe = 0;
    long queryPositions = 0;
    int step = 0;
    try (KvCache kv = cache == Acceleration.Cache.NONE ? null : model.newCache()) {
      for (int block = 0; block < config.numBlocks() && !answered(canvas); block++) {
        int lo = canvas.promptLength + block * config.blockLength();
        int hi = lo + config.blockLength();
        int[][] quota = new int[rows][]; // the reference schedule: the least a step commits
        for (int r = 0; r < rows; r++) {
          quota[r] = TransferSchedule.numTransferTokens(canvas.masks(r, lo, hi, mask), budget);
        }
        for (int i = 0; i < budget && canvas.anyMaskIn(lo, hi, mask); i++, step++) {
          // as generate.py: candidates from the first mask on; before hi that is the current
          // block unless a token was committed as the mask id in an earlier one
          int from = canvas.firstMask(hi, mask);
          CacheStep use = null;
          int computed = length;
          if (kv != null && i == 0 && block > 0 && acceleration.incrementalRefresh()) {
            int last = lo - config.blockLength(); // from the block just decoded to the end
            use = new CacheStep.Update(kv, last, 0, kv);
            from = Math.max(from, last);
            computed = length - last;
          } else if (kv != null && i == 0) {
            use = new CacheStep.Refresh(kv); // the block boundary: a full forward, a fresh cache
          } else if (kv != null) {
            int to = cache == Acceleration.Cache.DUAL ? hi : length;
            use = new CacheStep.Reuse(kv, lo, to);
            from = Math.max(from, lo); // the cached forward computes from the block's start
            computed = to - lo;
          }
          List<StepCandidates.Candidate>[] proposed =
              candidates.propose(
                  x, canvas.attention, canvas.promptIndex, config, random, from, hi, use);
          nfe++;
          long units = (long) computed * guidance;
          queryPositions += units;
          int[][] positions = new int[rows][];
          int[][] tokens = new int[rows][];
          double[][] confidences = new double[rows][];
          for (int r = 0; r < rows; r++) {
            List<StepCandidates.Candidate> ranked = proposed[r];
            int accepted =
                rule == null
                    ? 0
                    : rule.accepted(
                        ranked.stream().map(StepCandidates.Candidate::confidence).toList());
            int k = Math.min(ranked.size(), Math.max(accepted, quota[r][i]));
            StepCandidates.commit(x, r, ranked.subList(0, k), positions, tokens, confidences);
          }
          listener.onStep(new StepEvent(step, block, positions, tokens, confidences, units));
          if (answered(canvas)) {
            break;
          }
        }
      }
    }
    if (answered(canvas)) {
      padAfterAnswers(canvas);
    }
    return new Generation(x, canvas.promptLength, nfe, queryPositions);
  }

  /** With early stop: whether every row's answer is fixed (a stop token, no mask before it). */
  private boolean answered(DiffusionCanvas canvas) {
    if (!acceleration.earlyStop()) {
      return false;
    }
    for (int[] row : canvas.x) {
      if (!Generation.answerFixed(row, canvas.promptLength, special)) {
        return false;
      }
    }
    return true;
  }

  /** The masks after each fixed answer become EOS, the canvas's padding. */
  private void padAfterAnswers(DiffusionCanvas canvas) {
    for (int[] row : canvas.x) {
      for (int i = canvas.promptLength; i < row.length; i++) {
        if (row[i] == special.maskId()) {
          row[i] = special.eosId();
        }
      }
    }
  }
}

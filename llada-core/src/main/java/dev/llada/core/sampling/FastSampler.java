package dev.llada.core.sampling;

import dev.llada.core.model.MaskPredictor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Confidence-aware parallel decoding (Fast-dLLM's {@code generate} with {@code threshold}, or the
 * factor rule; acceleration.md §2.2–§2.3), on the reference sampler's canvas, blocks and
 * candidates: each step commits what {@link ParallelDecoding} accepts of the block's ranked
 * candidates instead of a fixed quota, and a block ends as soon as it has no mask left, so easy
 * blocks take a few forwards. {@code steps} caps the steps of each block ({@code steps /
 * numBlocks}) and a step commits at least the reference sampler's quota for it, so the block is
 * done within the cap; with {@code steps = gen_length} (the default) the quota is one token and the
 * rule decides the rest, as in Fast-dLLM. A token committed as the mask id stays masked, as in
 * generate.py. No KV cache here.
 */
public final class FastSampler implements Sampler {

  private final MaskPredictor model;
  private final SpecialTokens special;
  private final StepCandidates candidates;
  private final ParallelDecoding rule;

  /** A sampler committing what {@code rule} accepts at each step. */
  public FastSampler(MaskPredictor model, SpecialTokens special, ParallelDecoding rule) {
    this.model = model;
    this.special = special;
    this.candidates = new StepCandidates(model, special);
    this.rule = rule;
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
    if (config.remasking() != Remasking.LOW_CONFIDENCE) {
      throw new IllegalArgumentException(
          "parallel decoding ranks by confidence: it needs low_confidence remasking");
    }
    DiffusionCanvas canvas = new DiffusionCanvas(prompt, attentionMask, config, model, special);
    int rows = prompt.length;
    int mask = special.maskId();
    int[][] x = canvas.x;
    int budget = config.stepsPerBlock();
    int nfe = 0;
    int step = 0;
    for (int block = 0; block < config.numBlocks(); block++) {
      int lo = canvas.promptLength + block * config.blockLength();
      int hi = lo + config.blockLength();
      int[][] quota = new int[rows][]; // the reference schedule: the least a step commits
      for (int r = 0; r < rows; r++) {
        quota[r] = TransferSchedule.numTransferTokens(canvas.masks(r, lo, hi, mask), budget);
      }
      // a token committed as the mask id stays masked, as in generate.py: the cap ends the block
      for (int i = 0; i < budget && canvas.anyMaskIn(lo, hi, mask); i++, step++) {
        // as generate.py: candidates from the first mask on; before hi that is the current block
        // unless a token was committed as the mask id in an earlier one
        int from = canvas.firstMask(hi, mask);
        List<StepCandidates.Candidate>[] proposed =
            candidates.propose(x, canvas.attention, canvas.promptIndex, config, random, from, hi);
        nfe++;
        int[][] positions = new int[rows][];
        int[][] tokens = new int[rows][];
        double[][] confidences = new double[rows][];
        for (int r = 0; r < rows; r++) {
          List<StepCandidates.Candidate> ranked = proposed[r];
          List<Double> scores = ranked.stream().map(StepCandidates.Candidate::confidence).toList();
          int k = Math.min(ranked.size(), Math.max(rule.accepted(scores), quota[r][i]));
          StepCandidates.commit(x, r, ranked.subList(0, k), positions, tokens, confidences);
        }
        listener.onStep(new StepEvent(step, block, positions, tokens, confidences));
      }
    }
    return new Generation(x, canvas.promptLength, nfe);
  }
}

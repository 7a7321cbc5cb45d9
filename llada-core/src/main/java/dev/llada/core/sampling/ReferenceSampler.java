package dev.llada.core.sampling;

import dev.llada.core.model.MaskPredictor;
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
public final class ReferenceSampler implements Sampler {

  private final MaskPredictor model;
  private final SpecialTokens special;
  private final StepCandidates candidates;

  public ReferenceSampler(MaskPredictor model, SpecialTokens special) {
    this.model = model;
    this.special = special;
    this.candidates = new StepCandidates(model, special);
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
  @Override
  public Generation generate(
      int[][] prompt,
      boolean[][] attentionMask,
      SamplingConfig config,
      RandomGenerator random,
      StepEvent.Listener listener) {
    DiffusionCanvas canvas = new DiffusionCanvas(prompt, attentionMask, config, model, special);
    int rows = prompt.length;
    int promptLength = canvas.promptLength;
    int[][] x = canvas.x;
    boolean[][] attention = canvas.attention;
    boolean[][] promptIndex = canvas.promptIndex;
    int mask = special.maskId();

    int stepsPerBlock = config.stepsPerBlock();
    int nfe = 0;
    long queryPositions = 0;
    int step = 0;
    for (int block = 0; block < config.numBlocks(); block++) {
      int lo = promptLength + block * config.blockLength();
      int hi = lo + config.blockLength();
      int[][] quota = new int[rows][];
      for (int r = 0; r < rows; r++) {
        quota[r] = TransferSchedule.numTransferTokens(canvas.masks(r, lo, hi, mask), stepsPerBlock);
      }
      for (int i = 0; i < stepsPerBlock; i++, step++) {
        int from = canvas.firstMask(hi, mask);
        if (from < 0) { // nothing left to decode before hi (quota 0 steps): still a forward in §2.2
          from = lo;
        }
        List<StepCandidates.Candidate>[] proposed =
            candidates.propose(x, attention, promptIndex, config, random, from, hi, null);
        nfe++;
        long computed = (long) x[0].length * (config.cfgScale() > 0 ? 2 : 1);
        queryPositions += computed;
        int[][] positions = new int[rows][];
        int[][] tokens = new int[rows][];
        double[][] confidences = new double[rows][];
        for (int r = 0; r < rows; r++) {
          List<StepCandidates.Candidate> ranked = proposed[r];
          int k = Math.min(quota[r][i], ranked.size()); // the quota's most confident
          StepCandidates.commit(x, r, ranked.subList(0, k), positions, tokens, confidences);
        }
        StepEvent event = new StepEvent(step, block, positions, tokens, confidences, computed);
        listener.onStep(event);
      }
    }
    return new Generation(x, promptLength, nfe, queryPositions);
  }
}

package dev.llada.core.sampling;

/**
 * How many masked tokens the reverse process commits at each step of one block: {@code
 * get_num_transfer_tokens} of LLaDA's {@code generate.py} (llada-spec §2.3).
 *
 * <p>With {@code m} masks in the block and {@code steps} steps, step {@code i} commits {@code m /
 * steps} tokens plus one more for the first {@code m % steps} steps, so the quotas sum to {@code m}
 * and the remainder is front-loaded: 10 masks over 4 steps gives 3, 3, 2, 2. The linear noise
 * schedule (paper Eq. 8) makes the expected number of transitions equal at uniformly spaced steps.
 */
public final class TransferSchedule {

  private TransferSchedule() {}

  /**
   * Per-step quotas for one row.
   *
   * @param maskCount masked positions in the current block, {@code >= 0}
   * @param steps sampling steps for this block, {@code >= 1}
   * @return an array of length {@code steps} whose entries sum to {@code maskCount}
   */
  public static int[] numTransferTokens(int maskCount, int steps) {
    if (maskCount < 0) {
      throw new IllegalArgumentException("maskCount must be >= 0, got " + maskCount);
    }
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    int base = maskCount / steps;
    int remainder = maskCount % steps;
    int[] quota = new int[steps];
    for (int i = 0; i < steps; i++) {
      quota[i] = base + (i < remainder ? 1 : 0);
    }
    return quota;
  }

  /**
   * Per-step quotas for a batch: row {@code j} gets {@code numTransferTokens(maskCounts[j],
   * steps)}, as the {@code (B, steps)} tensor of the reference.
   */
  public static int[][] numTransferTokens(int[] maskCounts, int steps) {
    int[][] quotas = new int[maskCounts.length][];
    for (int j = 0; j < maskCounts.length; j++) {
      quotas[j] = numTransferTokens(maskCounts[j], steps);
    }
    return quotas;
  }
}

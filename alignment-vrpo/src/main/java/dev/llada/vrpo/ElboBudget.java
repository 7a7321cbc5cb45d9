package dev.llada.vrpo;

/**
 * How the ELBO of one response is estimated (llada-spec §6.1–6.3): {@code nT} timesteps, {@code
 * nYt} masked sequences per timestep (n = nT·nYt samples), and whether the policy and the reference
 * share them (antithetic sampling). VRPO's choice is (8, 1, true); naive DPO's (1, 1, false).
 */
public record ElboBudget(int nT, int nYt, boolean antithetic) {

  /** The most samples per response: 8× the paper's budget. */
  public static final int MAX_SAMPLES = 64;

  public static final ElboBudget VRPO = new ElboBudget(8, 1, true);
  public static final ElboBudget NAIVE = new ElboBudget(1, 1, false);

  public ElboBudget {
    if (nT < 1 || nYt < 1) {
      throw new IllegalArgumentException("n_t and n_yt must be at least 1");
    }
    if ((long) nT * nYt > MAX_SAMPLES) {
      throw new IllegalArgumentException(
          "n_t × n_yt must be at most " + MAX_SAMPLES + ", got " + (long) nT * nYt);
    }
  }

  /** n, the samples per response. */
  public int samples() {
    return nT * nYt;
  }

  @Override
  public String toString() {
    return "(" + nT + "," + nYt + "," + (antithetic ? "✓" : "✗") + ")";
  }
}

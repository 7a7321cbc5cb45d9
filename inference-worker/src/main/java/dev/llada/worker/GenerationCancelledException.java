package dev.llada.worker;

/**
 * A generation (or a likelihood) stopped between steps (Monte Carlo batches) because its caller
 * went away or gave up.
 */
public final class GenerationCancelledException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int stepsRun;

  public GenerationCancelledException(int stepsRun) {
    this("generation cancelled after " + stepsRun + " steps", stepsRun);
  }

  public GenerationCancelledException(String message, int stepsRun) {
    super(message);
    this.stepsRun = stepsRun;
  }

  /** Denoising steps that ran (and cost compute) before the stop. */
  public int stepsRun() {
    return stepsRun;
  }
}

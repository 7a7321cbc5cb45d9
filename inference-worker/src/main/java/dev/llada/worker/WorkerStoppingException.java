package dev.llada.worker;

/**
 * The worker is shutting down: it takes no new work, and work it could not finish within its
 * drain's grace fails with this (the platform answers 503 and settles what ran).
 */
public final class WorkerStoppingException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  private final int stepsRun;

  public WorkerStoppingException(String message) {
    this(message, 0);
  }

  /**
   * @param stepsRun the Monte Carlo batches of a likelihood that ran before it stopped
   */
  public WorkerStoppingException(String message, int stepsRun) {
    super(message);
    this.stepsRun = stepsRun;
  }

  /** What ran of the job before it stopped (a likelihood's batches; 0 when nothing is known). */
  public int stepsRun() {
    return stepsRun;
  }
}

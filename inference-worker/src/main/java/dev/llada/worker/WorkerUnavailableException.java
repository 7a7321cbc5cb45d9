package dev.llada.worker;

/**
 * No inference worker could run the job: none is registered and alive, or the one running it died
 * or failed after the job had started (so it cannot be sent elsewhere without running twice). A
 * retry may succeed on another worker.
 */
public final class WorkerUnavailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int stepsRun;

  public WorkerUnavailableException(String message, int stepsRun) {
    super(message);
    this.stepsRun = stepsRun;
  }

  /** Steps (or Monte Carlo batches) that ran before the worker was lost. */
  public int stepsRun() {
    return stepsRun;
  }
}

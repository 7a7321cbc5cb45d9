package dev.llada.worker;

/**
 * The worker is shutting down: it takes no new work, and work it could not finish within its
 * drain's grace fails with this (the platform answers 503 and settles what ran).
 */
public final class WorkerStoppingException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public WorkerStoppingException(String message) {
    super(message);
  }
}

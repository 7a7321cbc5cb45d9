package dev.llada.core.training;

/** The loss or the gradient became NaN or infinite; the last good checkpoint was kept. */
public final class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingDivergedException(String message) {
    super(message);
  }
}

package dev.llada.core.likelihood;

/** A likelihood estimate stopped between two forwards because its caller gave up. */
public final class EstimationStoppedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int batchesRun;

  public EstimationStoppedException(int batchesRun) {
    super("likelihood stopped after " + batchesRun + " Monte Carlo batches");
    this.batchesRun = batchesRun;
  }

  /** Monte Carlo batches (of batch_size rows each) that were scored before the stop. */
  public int batchesRun() {
    return batchesRun;
  }
}

package dev.llada.worker;

/** A generation stopped between steps because its caller went away or gave up. */
public final class GenerationCancelledException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int stepsRun;

  public GenerationCancelledException(int stepsRun) {
    super("generation cancelled after " + stepsRun + " steps");
    this.stepsRun = stepsRun;
  }

  /** Denoising steps that ran (and cost compute) before the stop. */
  public int stepsRun() {
    return stepsRun;
  }
}

package dev.llada.worker;

/**
 * A model whose {@link ModelFootprint} exceeds the device's whole memory budget: it cannot be
 * loaded on this worker, even with every other model unloaded. Nothing ran; retrying will not help
 * until an operator raises the budget ({@code LLADA_WORKER_MEMORY}) or lowers the batch ({@code
 * LLADA_WORKER_MAX_BATCH}).
 */
public final class ModelDoesNotFitException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ModelDoesNotFitException(
      String model, ModelFootprint footprint, long budgetBytes, String device) {
    super(
        "the model '"
            + model
            + "' needs "
            + ByteSize.format(footprint.bytes())
            + " on "
            + device
            + " ("
            + ByteSize.format(footprint.weightBytes())
            + " of weights and "
            + ByteSize.format(footprint.workingBytes())
            + " for a full batch), more than the "
            + ByteSize.format(budgetBytes)
            + " this worker may use");
  }

  /** As a standalone worker reported it ({@code dev.llada.worker.remote}). */
  public ModelDoesNotFitException(String message) {
    super(message);
  }
}

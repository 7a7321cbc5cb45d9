package dev.llada.worker;

/**
 * What a worker tells about its work as it happens (issue #16, item 6), for the platform's metrics:
 * called on the inference thread, so an implementation only records (no I/O, no locks held long).
 */
public interface WorkerMetrics {

  /** A request of {@code model} waited {@code seconds} from its submission until it started. */
  void waited(String model, double seconds);

  /**
   * One batched denoising step of {@code model}: its wall time and the query positions its forwards
   * computed (the step's batch size in positions).
   */
  void stepped(String model, double seconds, long positions);

  /** Records nothing. */
  WorkerMetrics NONE =
      new WorkerMetrics() {
        @Override
        public void waited(String model, double seconds) {}

        @Override
        public void stepped(String model, double seconds, long positions) {}
      };
}

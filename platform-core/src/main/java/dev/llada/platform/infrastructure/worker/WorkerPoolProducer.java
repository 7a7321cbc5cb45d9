package dev.llada.platform.infrastructure.worker;

import dev.llada.worker.LocalWorkerPool;
import dev.llada.worker.WorkerPool;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The in-process worker (ARCHITECTURE: single-machine default): one inference thread from the
 * container's managed thread factory, models resident by digest, closed (native memory freed) when
 * the application stops. {@code llada.device} ({@code cpu}, {@code gpu0}, ...) picks the device,
 * {@code llada.worker.memory} the memory its models may reserve.
 */
@ApplicationScoped
public class WorkerPoolProducer {

  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  ManagedThreadFactory threads;

  @Inject
  @ConfigProperty(name = "llada.device", defaultValue = "cpu")
  String device;

  /**
   * What resident models may reserve on the device ({@code 8g}, {@code 512MiB}; blank: half the
   * machine's memory on a CPU, 90% of a GPU's): each model reserves its weights and a full batch's
   * working set ({@link dev.llada.worker.ModelFootprint}); idle ones are unloaded to make room.
   */
  @Inject
  @ConfigProperty(name = "llada.worker.memory", defaultValue = " ")
  String memory;

  /** Generations that step together (continuous batching); 1 serves one at a time. */
  @Inject
  @ConfigProperty(name = "llada.worker.max-batch", defaultValue = "8")
  int maxBatch;

  /** Where the worker reports its waits and steps (the platform's metrics). */
  @Inject dev.llada.worker.WorkerMetrics metrics;

  @Produces
  @ApplicationScoped
  WorkerPool workerPool() {
    long budget;
    try {
      budget =
          memory.isBlank()
              ? dev.llada.worker.DeviceMemory.defaultBudget(device)
              : dev.llada.worker.ByteSize.parse(memory);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("LLADA_WORKER_MEMORY: " + e.getMessage(), e);
    }
    return new LocalWorkerPool(threads, device, budget, maxBatch).observedBy(metrics);
  }

  void close(@Disposes WorkerPool pool) {
    pool.close();
  }
}

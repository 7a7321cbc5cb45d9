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
 * the application stops. {@code llada.device} ({@code cpu}, {@code gpu0}, ...) picks the device.
 */
@ApplicationScoped
public class WorkerPoolProducer {

  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  ManagedThreadFactory threads;

  @Inject
  @ConfigProperty(name = "llada.device", defaultValue = "cpu")
  String device;

  @Inject
  @ConfigProperty(name = "llada.worker.resident-models", defaultValue = "2")
  int residentModels;

  /** Generations that step together (continuous batching); 1 serves one at a time. */
  @Inject
  @ConfigProperty(name = "llada.worker.max-batch", defaultValue = "8")
  int maxBatch;

  /** Where the worker reports its waits and steps (the platform's metrics). */
  @Inject dev.llada.worker.WorkerMetrics metrics;

  @Produces
  @ApplicationScoped
  WorkerPool workerPool() {
    return new LocalWorkerPool(threads, device, residentModels, maxBatch).observedBy(metrics);
  }

  void close(@Disposes WorkerPool pool) {
    pool.close();
  }
}

package dev.llada.platform.infrastructure.worker;

import dev.llada.worker.ByteSize;
import dev.llada.worker.DeviceMemory;
import dev.llada.worker.DevicePool;
import dev.llada.worker.WorkerPool;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The in-process worker (ARCHITECTURE: single-machine default): one slot per device entry of {@code
 * llada.devices} ({@code LLADA_DEVICES}, e.g. {@code cpu:2} or {@code gpu0,gpu1}; unset: the one
 * {@code llada.device}), each with an inference thread from the container's managed thread factory
 * and models resident by digest under its share of {@code llada.worker.memory}; closed (native
 * memory freed) when the application stops.
 */
@ApplicationScoped
public class WorkerPoolProducer {

  @Resource(lookup = "java:comp/DefaultManagedThreadFactory")
  ManagedThreadFactory threads;

  /** The one device when {@code llada.devices} is not set ({@code LLADA_DEVICE}). */
  @Inject
  @ConfigProperty(name = "llada.device", defaultValue = "cpu")
  String device;

  /** Devices and their slots ({@code LLADA_DEVICES}); blank: {@code llada.device}, one slot. */
  @Inject
  @ConfigProperty(name = "llada.devices", defaultValue = " ")
  String devices;

  /**
   * What resident models may reserve on each device ({@code 8g}, {@code 512MiB}; blank: half the
   * machine's memory on a CPU, 90% of a GPU's), shared equally by the device's slots: each model
   * reserves its weights and a full batch's working set ({@link dev.llada.worker.ModelFootprint});
   * idle ones are unloaded to make room.
   */
  @Inject
  @ConfigProperty(name = "llada.worker.memory", defaultValue = " ")
  String memory;

  /** Models pinned to devices ({@code LLADA_MODEL_DEVICES}: {@code model=gpu0,gpu1;other=cpu}). */
  @Inject
  @ConfigProperty(name = "llada.model.devices", defaultValue = " ")
  String pinning;

  /**
   * The type the dense models' forwards compute in ({@code LLADA_WORKER_DTYPE}): {@code f32}, the
   * reference, or {@code bf16} (weights held in bfloat16: half the memory, the GPUs' fast path; the
   * tokens may differ from f32's where two candidates are close). LLaDA-MoE and LLaDA-V stay f32.
   */
  @Inject
  @ConfigProperty(name = "llada.worker.dtype", defaultValue = "f32")
  String dtype;

  /** Generations that step together (continuous batching); 1 serves one at a time. */
  @Inject
  @ConfigProperty(name = "llada.worker.max-batch", defaultValue = "8")
  int maxBatch;

  /**
   * Who runs the models ({@code LLADA_WORKERS}): {@code embedded} (the default: this JVM, on {@code
   * llada.devices}) or {@code remote}: the standalone workers registered in the database ({@code
   * bin/worker}; docs/adr/0021), which this JVM only tokenizes and routes for.
   */
  @Inject
  @ConfigProperty(name = "llada.workers", defaultValue = "embedded")
  String workers;

  /** The secret platform and standalone workers share ({@code LLADA_WORKER_SECRET}). */
  @Inject
  @ConfigProperty(name = "llada.worker.secret", defaultValue = " ")
  String workerSecret;

  @Inject dev.llada.platform.infrastructure.persistence.JdbcWorkerDirectory directory;

  /** Where the worker reports its waits and steps (the platform's metrics). */
  @Inject dev.llada.worker.WorkerMetrics metrics;

  @Produces
  @ApplicationScoped
  WorkerPool workerPool() {
    if (workers.equals("remote")) {
      try {
        return new dev.llada.worker.remote.RemoteWorkerPool(directory, workerSecret.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("the worker's settings: " + e.getMessage(), e);
      }
    }
    if (!workers.equals("embedded")) {
      throw new IllegalStateException(
          "the worker's settings: LLADA_WORKERS must be embedded or remote, got '" + workers + "'");
    }
    try {
      Map<String, Integer> slots =
          DevicePool.parseDevices(devices.isBlank() ? device : devices); // gpu = gpu0
      return DevicePool.of(
          threads,
          slots,
          d -> memory.isBlank() ? DeviceMemory.defaultBudget(d) : budget(memory),
          maxBatch,
          DevicePool.parsePinning(pinning),
          metrics,
          precision());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the worker's settings: " + e.getMessage(), e);
    }
  }

  private dev.llada.core.model.Precision precision() {
    try {
      return dev.llada.core.model.Precision.parse(dtype);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("LLADA_WORKER_DTYPE: " + e.getMessage(), e);
    }
  }

  private static long budget(String memory) {
    try {
      return ByteSize.parse(memory);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("LLADA_WORKER_MEMORY: " + e.getMessage(), e);
    }
  }

  void close(@Disposes WorkerPool pool) {
    pool.close();
  }
}

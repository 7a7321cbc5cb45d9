package dev.llada.worker;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.ManagementFactory;

/** How much memory a device has, and how much of it the worker takes when not told. */
public final class DeviceMemory {

  private DeviceMemory() {}

  /**
   * The worker's default budget on {@code device}: half the machine's memory on a CPU (the JVM,
   * PostgreSQL and the tokenizers live there too), 90% of a GPU's memory (CUDA's context and
   * allocator keep some).
   */
  public static long defaultBudget(String device) {
    long total = total(device);
    return device.startsWith("cpu") ? total / 2 : total / 10 * 9;
  }

  /** The device's whole memory: physical memory for {@code cpu}, the card's for {@code gpuN}. */
  public static long total(String device) {
    if (device.startsWith("cpu")) {
      return ((com.sun.management.OperatingSystemMXBean)
              ManagementFactory.getOperatingSystemMXBean())
          .getTotalMemorySize();
    }
    Device d = dev.llada.core.model.DjlMaskPredictor.device(device);
    if (!CudaUtils.hasCuda() || d.getDeviceId() >= CudaUtils.getGpuCount()) {
      throw new IllegalArgumentException(
          "the device '" + device + "' is not here (" + CudaUtils.getGpuCount() + " GPUs seen)");
    }
    return CudaUtils.getGpuMemory(d).getMax();
  }
}

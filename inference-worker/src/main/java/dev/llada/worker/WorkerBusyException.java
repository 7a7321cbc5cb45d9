package dev.llada.worker;

/**
 * The worker refused a request at once because its queue is full: the caller's tenant has as many
 * waiting as it may ({@link #tenantLimit()}), or the worker as a whole does. Nothing ran.
 */
public final class WorkerBusyException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final boolean tenantLimit;

  public WorkerBusyException(boolean tenantLimit, int waiting) {
    super(
        tenantLimit
            ? "this tenant already has " + waiting + " requests waiting for the worker"
            : "the worker already has " + waiting + " requests waiting");
    this.tenantLimit = tenantLimit;
  }

  /** True when the tenant's own share of the queue is full, false when the whole queue is. */
  public boolean tenantLimit() {
    return tenantLimit;
  }
}

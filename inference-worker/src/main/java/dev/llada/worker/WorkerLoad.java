package dev.llada.worker;

import java.util.Map;

/**
 * A worker's load at one moment, for gauges and health: requests waiting by model and tenant,
 * requests in running batches by model, and the bytes of resident model weights by device.
 */
public record WorkerLoad(
    Map<Queue, Integer> waiting, Map<String, Integer> running, Map<String, Long> residentBytes) {

  /** One queue: a model (by the name it was called under) and a tenant. */
  public record Queue(String model, String tenant) {}

  public WorkerLoad {
    waiting = Map.copyOf(waiting);
    running = Map.copyOf(running);
    residentBytes = Map.copyOf(residentBytes);
  }

  /** Requests waiting in all. */
  public int waitingTotal() {
    return waiting.values().stream().mapToInt(Integer::intValue).sum();
  }
}

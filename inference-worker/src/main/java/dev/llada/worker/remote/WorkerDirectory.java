package dev.llada.worker.remote;

import java.util.List;
import java.util.Set;

/**
 * Port: the standalone workers alive now (registered and heartbeating, docs/adr/0021), as the
 * platform routes to them.
 */
public interface WorkerDirectory {

  /**
   * A registered worker.
   *
   * @param url where it answers, e.g. {@code http://10.0.0.7:8090}
   * @param protocol the {@link WorkerWire#PROTOCOL} it speaks
   * @param busy the jobs it runs and holds waiting, at its last heartbeat
   * @param resident the digests of the models it holds
   */
  record Worker(
      String id,
      String url,
      int protocol,
      boolean draining,
      int busy,
      Set<String> resident,
      long freeBytes) {}

  /** Every worker whose last heartbeat is recent, draining or not, of any protocol. */
  List<Worker> live();
}

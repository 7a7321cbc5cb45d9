package dev.llada.worker.remote;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Set;
import javax.sql.DataSource;

/**
 * A standalone worker's row in {@code inference_worker} (V15; docs/adr/0021): written at start,
 * refreshed by each heartbeat with the worker's load and resident models, marked draining on the
 * way out, deleted once stopped. Every time is the database's.
 */
public final class WorkerRegistration {

  private final DataSource dataSource;
  private final String id;
  private final String url;
  private final String devices;

  public WorkerRegistration(DataSource dataSource, String id, String url, String devices) {
    this.dataSource = dataSource;
    this.id = id;
    this.url = url;
    this.devices = devices;
  }

  /** Registers (or re-registers, after a restart under the same id) this worker. */
  public void register() throws SQLException {
    update(
        "INSERT INTO inference_worker (id, url, protocol, devices) VALUES (?, ?, ?, ?)"
            + " ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, protocol = EXCLUDED.protocol,"
            + " devices = EXCLUDED.devices, draining = false, busy = 0, resident = '', free_bytes = 0,"
            + " started_at = now(), heartbeat_at = now()",
        id,
        url,
        WorkerWire.PROTOCOL,
        devices);
  }

  /**
   * The heartbeat: alive, this busy, holding these models (digests), with {@code freeBytes} of
   * device memory for a model it does not hold (the most one slot has unreserved).
   */
  public void heartbeat(int busy, Set<String> resident, long freeBytes, boolean draining)
      throws SQLException {
    if (update(
            "UPDATE inference_worker SET heartbeat_at = now(), busy = ?, resident = ?,"
                + " free_bytes = ?, draining = ? WHERE id = ?",
            busy,
            String.join(",", resident),
            Math.max(0, freeBytes),
            draining,
            id)
        == 0) {
      register(); // the row was removed (an operator, or a replica cleaning up): come back
    }
  }

  /** Removes the row: the worker has stopped. */
  public void deregister() throws SQLException {
    update("DELETE FROM inference_worker WHERE id = ?", id);
  }

  private int update(String sql, Object... params) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      return ps.executeUpdate();
    }
  }
}

package dev.llada.platform.infrastructure.persistence;

import dev.llada.worker.remote.WorkerDirectory;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The standalone workers alive now ({@code inference_worker}, V15; docs/adr/0021): those whose
 * heartbeat is at most {@code llada.workers.stale-seconds} old by the database's clock. Read at
 * most once a second; a database that cannot answer gives the last list known.
 */
@ApplicationScoped
public class JdbcWorkerDirectory implements WorkerDirectory {

  private static final Logger LOG = Logger.getLogger(JdbcWorkerDirectory.class.getName());

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @jakarta.inject.Inject
  @ConfigProperty(name = "llada.workers.stale-seconds", defaultValue = "6")
  long staleSeconds;

  private volatile List<Worker> last = List.of();
  private volatile long readAt;

  @Override
  public List<Worker> live() {
    long now = System.nanoTime();
    if (now - readAt < 1_000_000_000L && readAt != 0) {
      return last;
    }
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, url, protocol, draining, busy, resident, free_bytes FROM inference_worker"
                    + " WHERE heartbeat_at > now() - make_interval(secs => ?) ORDER BY id")) {
      ps.setDouble(1, staleSeconds);
      List<Worker> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String resident = rs.getString("resident");
          Set<String> digests =
              resident.isEmpty()
                  ? Set.of()
                  : Arrays.stream(resident.split(",")).collect(Collectors.toUnmodifiableSet());
          out.add(
              new Worker(
                  rs.getString("id"),
                  rs.getString("url"),
                  rs.getInt("protocol"),
                  rs.getBoolean("draining"),
                  rs.getInt("busy"),
                  digests,
                  rs.getLong("free_bytes")));
        }
      }
      last = List.copyOf(out);
      readAt = now;
    } catch (SQLException e) {
      LOG.log(Level.WARNING, "cannot read the inference workers; using the last list", e);
    }
    return last;
  }
}

package dev.llada.platform.infrastructure.persistence;

import dev.llada.db.Leases;
import dev.llada.platform.application.LeaderLease;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;

/** {@link LeaderLease} on the {@code lease} table ({@link Leases}); this JVM is one holder. */
@ApplicationScoped
public class DbLeaderLease implements LeaderLease {

  private static final Logger LOG = Logger.getLogger(DbLeaderLease.class.getName());

  /** This JVM: its pid@host and a random part, so that a restarted JVM is a new holder. */
  static final String HOLDER =
      ManagementFactory.getRuntimeMXBean().getName()
          + "/"
          + UUID.randomUUID().toString().substring(0, 8);

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @Override
  public boolean hold(String name, Duration ttl) {
    try {
      return new Leases(dataSource).tryAcquire(name, holder(), ttl);
    } catch (SQLException e) {
      LOG.log(Level.WARNING, "cannot take lease " + name + "; not running its work", e);
      return false;
    }
  }

  @Override
  public boolean release(String name) {
    try {
      new Leases(dataSource).release(name, holder());
      return true;
    } catch (SQLException e) {
      LOG.log(Level.WARNING, "cannot release lease " + name + "; it expires by itself", e);
      return false;
    }
  }

  @Override
  public String holder() {
    return HOLDER.length() > 128 ? HOLDER.substring(0, 128) : HOLDER;
  }
}

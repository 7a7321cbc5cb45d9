package dev.llada.platform.infrastructure.scheduling;

import dev.llada.platform.application.RetentionSweeper;
import dev.llada.platform.infrastructure.startup.DatabaseBootstrap;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.DependsOn;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.inject.Inject;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the {@link RetentionSweeper} every {@code llada.retention.sweep-seconds} on a managed
 * scheduler; a failed sweep is logged and the next one runs as planned.
 */
@Singleton
@Startup
@DependsOn("DatabaseBootstrap")
public class RetentionSchedule {

  private static final Logger LOG = Logger.getLogger(RetentionSchedule.class.getName());

  @Resource ManagedScheduledExecutorService scheduler;
  @Inject RetentionSweeper sweeper;
  @Inject DatabaseBootstrap database;

  private ScheduledFuture<?> task;

  @PostConstruct
  void start() {
    long period = sweeper.period().toSeconds();
    task = scheduler.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.SECONDS);
  }

  private void sweep() {
    try {
      if (database.ensureMigrated()) {
        sweeper.sweepIfLeader();
      }
    } catch (RuntimeException e) { // an exception would end the schedule: log and go on
      LOG.log(Level.WARNING, "retention sweep failed; the next one runs as planned", e);
    }
  }

  @PreDestroy
  void stop() {
    if (task != null) {
      task.cancel(false);
    }
    try {
      sweeper.stepDown();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "could not give the sweeper's lease up; it expires by itself", e);
    }
  }
}

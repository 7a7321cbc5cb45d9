package dev.llada.platform.infrastructure.scheduling;

import dev.llada.platform.application.LiveRequests;
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
 * scheduler (one JVM sweeps, under its lease), and on every JVM writes the progress of its running
 * requests into their reservations' leases every {@code llada.reservations.progress-seconds}
 * ({@link LiveRequests#recordProgress}) and refreshes the metrics' gauges; a failed run is logged
 * and the next one runs as planned.
 */
@Singleton
@Startup
@DependsOn("DatabaseBootstrap")
public class RetentionSchedule {

  private static final Logger LOG = Logger.getLogger(RetentionSchedule.class.getName());

  @Resource ManagedScheduledExecutorService scheduler;
  @Inject RetentionSweeper sweeper;
  @Inject DatabaseBootstrap database;
  @Inject LiveRequests requests;
  @Inject dev.llada.platform.infrastructure.metrics.PlatformMetrics metrics;

  @Inject
  @org.eclipse.microprofile.config.inject.ConfigProperty(
      name = "llada.reservations.progress-seconds",
      defaultValue = "5")
  long progressSeconds;

  private ScheduledFuture<?> task;
  private ScheduledFuture<?> progress;
  private boolean stopped;

  @PostConstruct
  void start() {
    long period = sweeper.period().toSeconds();
    task = scheduler.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.SECONDS);
    long every = Math.max(1, progressSeconds);
    progress =
        scheduler.scheduleWithFixedDelay(this::recordProgress, every, every, TimeUnit.SECONDS);
  }

  private void recordProgress() {
    guarded("record the progress of running requests", requests::recordProgress);
    guarded("refresh the metrics", metrics::refresh);
  }

  private static void guarded(String what, Runnable work) {
    try {
      work.run();
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) { // anything else would end the schedule: log, go on
      LOG.log(Level.FINE, "could not " + what + "; next time", e);
    }
  }

  private void sweep() {
    try {
      if (database.ensureMigrated()) {
        sweeper.sweepIfLeader();
      }
    } catch (VirtualMachineError e) {
      throw e; // out of memory and the like: nothing sensible to go on with
    } catch (RuntimeException | Error e) { // anything else would end the schedule: log, go on
      LOG.log(Level.WARNING, "retention sweep failed; the next one runs as planned", e);
    }
  }

  /**
   * Stops sweeping and gives the lease up, so another JVM sweeps at its next attempt instead of
   * after the lease expires. Called when the web module stops ({@link GracefulShutdown}): by the
   * time this singleton's {@code @PreDestroy} runs, Payara has removed the application's datasource
   * (found by TwoPlatformsIT), and the release would fail.
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (task != null) {
      task.cancel(false);
    }
    if (progress != null) {
      progress.cancel(false);
    }
    try {
      sweeper.stepDown();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not give the sweeper's lease up; it expires by itself", e);
    }
  }

  @PreDestroy
  void destroyed() {
    stop(); // normally done already; then only the task is left to cancel, which stop() did
  }
}

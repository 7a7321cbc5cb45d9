package dev.llada.platform.infrastructure.scheduling;

import dev.llada.platform.application.BatchOutputs;
import dev.llada.platform.infrastructure.startup.DatabaseBootstrap;
import dev.llada.platform.interfaces.rest.BatchRequests;
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
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every {@code llada.batches.poll-millis} on every JVM: runs a turn of the batch requests ({@link
 * BatchRequests#tick}) and ends the batches whose requests have all ended ({@link
 * BatchOutputs#finishDue}, on a schedule of its own); a failed turn is logged and the next one runs
 * as planned (docs/adr/0020). Stopped first on the way out ({@link GracefulShutdown}), so that a
 * draining node leases no new item.
 */
@Singleton
@Startup
@DependsOn("DatabaseBootstrap")
public class BatchSchedule {

  private static final Logger LOG = Logger.getLogger(BatchSchedule.class.getName());

  @Resource ManagedScheduledExecutorService scheduler;
  @Inject DatabaseBootstrap database;
  @Inject BatchRequests requests;
  @Inject BatchOutputs outputs;

  @Inject
  @ConfigProperty(name = "llada.batches.poll-millis", defaultValue = "1000")
  long pollMillis;

  private ScheduledFuture<?> turns;
  private ScheduledFuture<?> endings;

  /**
   * Two schedules: ending a large batch (writing its files) takes a while, and must not hold up the
   * renewal of the running items' leases.
   */
  @PostConstruct
  void start() {
    long every = Math.max(50, pollMillis);
    turns =
        scheduler.scheduleWithFixedDelay(
            () -> run("turn", requests::tick), every, every, TimeUnit.MILLISECONDS);
    endings =
        scheduler.scheduleWithFixedDelay(
            () -> run("ending", outputs::finishDue), every, every, TimeUnit.MILLISECONDS);
  }

  private void run(String what, Runnable work) {
    try {
      if (database.ensureMigrated()) {
        work.run();
      }
    } catch (VirtualMachineError e) {
      throw e;
    } catch (RuntimeException | Error e) { // anything else would end the schedule: log, go on
      LOG.log(Level.WARNING, "batch " + what + " failed; the next one runs as planned", e);
    }
  }

  /** Leases no more batch requests and stops the turns. */
  public synchronized void stop() {
    requests.stop();
    for (ScheduledFuture<?> task : new ScheduledFuture<?>[] {turns, endings}) {
      if (task != null) {
        task.cancel(false);
      }
    }
  }

  @PreDestroy
  void destroyed() {
    stop();
  }
}

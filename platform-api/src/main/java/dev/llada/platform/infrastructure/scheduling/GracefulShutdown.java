package dev.llada.platform.infrastructure.scheduling;

import dev.llada.platform.application.LiveRequests;
import dev.llada.worker.WorkerPool;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.time.Duration;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What this node does on its way out, while the application's datasource and executors are still
 * there (the web module stops before Payara removes the application's resources, an EJB's {@code
 * PreDestroy} after): a graceful drain (issue #16) — the worker takes no new work (503
 * shutting_down, Retry-After), the requests it has finish within {@code
 * llada.shutdown.grace-seconds} (15; the launcher waits 30 s before it kills Payara) and settle;
 * what is left then is stopped and settled with what ran — and then the sweeper's lease is given
 * up.
 */
@WebListener
public class GracefulShutdown implements ServletContextListener {

  private static final Logger LOG = Logger.getLogger(GracefulShutdown.class.getName());

  @Inject RetentionSchedule schedule;
  @Inject BatchSchedule batches;
  @Inject WorkerPool pool;
  @Inject LiveRequests requests;

  @Inject
  @ConfigProperty(name = "llada.shutdown.grace-seconds", defaultValue = "15")
  long graceSeconds;

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    batches.stop(); // no new batch request; those running drain with the rest
    int live = requests.all().size();
    if (live > 0) {
      LOG.info(() -> "shutdown: draining " + live + " request(s), up to " + graceSeconds + " s");
    }
    boolean drained = pool.drain(Duration.ofSeconds(Math.max(0, graceSeconds)));
    pool.close(); // fails what is left: settled as CANCELLED with what ran
    long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!requests.all().isEmpty() && System.nanoTime() - until < 0) {
      try {
        Thread.sleep(20); // their settlements run on the managed executor
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    int unsettled = requests.all().size();
    if (live > 0 || unsettled > 0) {
      LOG.info(
          () ->
              "shutdown: "
                  + (drained ? "all requests finished" : "requests left after the grace stopped")
                  + (unsettled > 0
                      ? "; " + unsettled + " not settled (their leases expire)"
                      : "; all settled"));
    }
    schedule.stop();
  }
}

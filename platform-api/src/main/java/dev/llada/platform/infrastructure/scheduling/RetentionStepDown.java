package dev.llada.platform.infrastructure.scheduling;

import jakarta.inject.Inject;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * Gives the sweeper's lease up while the application's datasource is still there: the web module
 * stops before Payara removes the application's resources, an EJB's {@code @PreDestroy} after.
 */
@WebListener
public class RetentionStepDown implements ServletContextListener {

  @Inject RetentionSchedule schedule;

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    schedule.stop();
  }
}

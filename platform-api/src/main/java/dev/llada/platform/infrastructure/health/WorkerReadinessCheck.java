package dev.llada.platform.infrastructure.health;

import dev.llada.platform.application.ModelPreloader;
import dev.llada.platform.application.ZooRegistration;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the inference worker exists: its settings ({@code LLADA_DEVICES}, {@code
 * LLADA_WORKER_MEMORY}, {@code LLADA_MODEL_DEVICES}) were accepted. Once the zoo is registered the
 * first probe creates the worker and starts {@code LLADA_PRELOAD}'s loads (once); a worker that
 * could not be created is tried again at the next probe.
 */
@Readiness
@ApplicationScoped
public class WorkerReadinessCheck implements HealthCheck {

  @Inject ZooRegistration zoo;

  @Inject ModelPreloader preloader;

  @Override
  public HealthCheckResponse call() {
    Optional<String> problem = zoo.ensureRegistered() ? preloader.start() : Optional.empty();
    return problem
        .map(p -> HealthCheckResponse.named("worker").down().withData("error", p).build())
        .orElseGet(() -> HealthCheckResponse.named("worker").up().build());
  }
}

package dev.llada.platform.infrastructure.security;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The process's {@link AuthenticationThrottle}, limited by {@code llada.auth.failures-per-minute}
 * (env {@code LLADA_AUTH_FAILURES_PER_MINUTE}; default 30, 0 = off).
 */
@ApplicationScoped
public class FailedAuthentications {

  @Inject
  @ConfigProperty(name = "llada.auth.failures-per-minute", defaultValue = "30")
  int limit;

  private AuthenticationThrottle throttle;

  @PostConstruct
  void start() {
    throttle = new AuthenticationThrottle(Math.max(0, limit), Clock.systemUTC());
  }

  public void check(String source) {
    throttle.check(source);
  }

  public void failed(String source) {
    throttle.failed(source);
  }
}

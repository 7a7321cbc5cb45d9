package dev.llada.platform.infrastructure.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llada.platform.domain.QuotaExceededException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class AuthenticationThrottleTest {

  /** A clock the test moves. */
  private static final class Manual extends Clock {
    Instant now = Instant.parse("2026-12-02T10:00:10Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void aSourceIsRefusedWhileItsLastFailuresAreWithinAMinute() {
    Manual clock = new Manual();
    AuthenticationThrottle t = new AuthenticationThrottle(3, clock);
    for (int i = 0; i < 3; i++) {
      t.check("10.0.0.1");
      t.failed("10.0.0.1");
      clock.now = clock.now.plus(Duration.ofSeconds(10));
    }
    // failures at :10, :20, :30; now :40
    QuotaExceededException e =
        assertThrows(QuotaExceededException.class, () -> t.check("10.0.0.1"));
    assertEquals(429, e.status());
    assertEquals("too_many_failed_authentications", e.code());
    assertEquals(30, e.retryAfterSeconds()); // until the failure of :10 is a minute old
    t.check("10.0.0.2"); // another source is not affected
    clock.now = clock.now.plus(Duration.ofSeconds(30)); // 1:10: two failures left in the window
    t.check("10.0.0.1");
    t.failed("10.0.0.1"); // three again
    assertThrows(QuotaExceededException.class, () -> t.check("10.0.0.1"));
  }

  @Test
  void zeroTurnsItOff() {
    AuthenticationThrottle t = new AuthenticationThrottle(0, new Manual());
    for (int i = 0; i < 1_000; i++) {
      t.failed("10.0.0.1");
    }
    t.check("10.0.0.1");
  }
}

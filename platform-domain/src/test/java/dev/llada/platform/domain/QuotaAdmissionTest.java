package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The quota policy without a database (issue #14, item 3). */
class QuotaAdmissionTest {

  /** 2026-12-01T21:30:15Z: 45 s left in the minute, 8,985 s in the day. */
  private static final QuotaAdmission.Windows W =
      new QuotaAdmission.Windows(
          Instant.parse("2026-12-01T21:30:15Z"),
          Instant.parse("2026-12-01T21:30:00Z"),
          Instant.parse("2026-12-01T00:00:00Z"),
          Instant.parse("2026-12-01T00:00:00Z"));

  private static QuotaAdmission.Usage tenant(Limits l, long req, long tok, long units, long conc) {
    return new QuotaAdmission.Usage("tenant", l, req, tok, units, conc);
  }

  private static QuotaAdmission.Usage key(Limits l, long req, long tok, long units, long conc) {
    return new QuotaAdmission.Usage("API key", l, req, tok, units, conc);
  }

  private static QuotaExceededException refused(List<QuotaAdmission.Usage> u, int tok, long units) {
    return assertThrows(QuotaExceededException.class, () -> QuotaAdmission.admit(u, W, tok, units));
  }

  @Test
  void withoutLimitsEverythingPassesAndTheHeadersSayNothing() {
    RateLimitStatus s =
        QuotaAdmission.admit(
            List.of(tenant(Limits.NONE, 1_000_000, 1_000_000, 1_000_000, 1_000)), W, 64, 9_999);
    assertEquals(-1, s.requestLimit());
    assertEquals(-1, s.requestRemaining());
    assertEquals(-1, s.tokenLimit());
    assertEquals(45, s.requestResetSeconds());
    assertEquals(8_985, s.tokenResetSeconds());
  }

  @Test
  void theTighterScopeIsWhatTheHeadersReport() {
    RateLimitStatus s =
        QuotaAdmission.admit(
            List.of(
                tenant(new Limits(100L, 10_000L, null, null), 10, 1_000, 0, 0),
                key(new Limits(20L, 100_000L, null, null), 15, 500, 0, 0)),
            W,
            64,
            0);
    assertEquals(20, s.requestLimit(), "the key's 20 per minute is tighter");
    assertEquals(4, s.requestRemaining(), "20 - 15 used - this one");
    assertEquals(10_000, s.tokenLimit(), "the tenant's tokens are tighter");
    assertEquals(10_000 - 1_000 - 64, s.tokenRemaining());
  }

  @Test
  void theLastRequestOfTheMinutePassesTheNextIsRefusedUntilTheReset() {
    Limits l = new Limits(10L, null, null, null);
    assertEquals(
        0, QuotaAdmission.admit(List.of(tenant(l, 9, 0, 0, 0)), W, 1, 1).requestRemaining());
    QuotaExceededException e = refused(List.of(tenant(l, 10, 0, 0, 0)), 1, 1);
    assertEquals("rate_limit_exceeded", e.code());
    assertEquals(45, e.retryAfterSeconds());
    assertEquals(0, e.limits().requestRemaining());
    assertTrue(e.getMessage().contains("tenant: 10 requests per minute"), e.getMessage());
  }

  @Test
  void tokensAndUnitsAreReservedUpFrontAgainstWhatIsLeft() {
    Limits tokens = new Limits(null, 1_000L, null, null);
    QuotaAdmission.admit(List.of(key(tokens, 0, 936, 0, 0)), W, 64, 0);
    QuotaExceededException t = refused(List.of(key(tokens, 0, 937, 0, 0)), 64, 0);
    assertEquals("insufficient_quota", t.code());
    assertTrue(t.getMessage().contains("API key has 63 of its 1000"), t.getMessage());
    assertEquals(8_985, t.retryAfterSeconds());
    Limits units = new Limits(null, null, 5_000L, null);
    QuotaAdmission.admit(List.of(tenant(units, 0, 0, 4_000, 0)), W, 0, 1_000);
    QuotaExceededException u = refused(List.of(tenant(units, 0, 0, 4_001, 0)), 0, 1_000);
    assertEquals("insufficient_quota", u.code());
    assertEquals(
        QuotaAdmission.secondsUntil(W.now(), Instant.parse("2027-01-01T00:00:00Z")),
        u.retryAfterSeconds(),
        "until the month turns");
  }

  @Test
  void concurrencyCountsWhatIsInFlight() {
    Limits l = new Limits(null, null, null, 2L);
    QuotaAdmission.admit(List.of(tenant(l, 0, 0, 0, 1)), W, 1, 1);
    QuotaExceededException e =
        refused(List.of(tenant(Limits.NONE, 0, 0, 0, 0), key(l, 0, 0, 0, 2)), 1, 1);
    assertEquals("rate_limit_exceeded", e.code());
    assertTrue(e.getMessage().contains("API key has 2 requests in flight"), e.getMessage());
    assertEquals(1, e.retryAfterSeconds());
  }

  @Test
  void secondsUntilRoundsUpAndIsNeverZero() {
    Instant now = Instant.parse("2026-12-01T00:00:00Z");
    assertEquals(1, QuotaAdmission.secondsUntil(now, now));
    assertEquals(1, QuotaAdmission.secondsUntil(now, now.plusMillis(1)));
    assertEquals(2, QuotaAdmission.secondsUntil(now, now.plusMillis(1_001)));
  }
}

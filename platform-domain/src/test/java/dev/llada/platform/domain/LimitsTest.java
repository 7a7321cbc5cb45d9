package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Issue #13: limits out of their column's range were a 503 from the database. */
class LimitsTest {

  private static String refused(Long rpm, Long tpd, Long cu, Long mc) {
    return assertThrows(InvalidRequestException.class, () -> new Limits(rpm, tpd, cu, mc)).param();
  }

  @Test
  void checksEachLimitAgainstItsColumnBeforeTheDatabase() {
    assertEquals("requests_per_minute", refused(3_000_000_000L, null, null, null));
    assertEquals("max_concurrent", refused(null, null, null, 2_147_483_648L));
    assertEquals("requests_per_minute", refused(0L, null, null, null));
    assertEquals("tokens_per_day", refused(null, -1L, null, null));
    assertEquals("compute_units_per_month", refused(null, null, 0L, null));
    Limits max = new Limits(2_147_483_647L, Long.MAX_VALUE, Long.MAX_VALUE, 2_147_483_647L);
    assertEquals(Long.MAX_VALUE, max.tokensPerDay());
  }
}

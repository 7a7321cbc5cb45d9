package dev.llada.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class McNemarTest {

  @Test
  void theExactTestOnDiscordantPairs() {
    assertEquals(1.0, McNemar.p(0, 0), 1e-12, "no discordant pair");
    assertEquals(1.0, McNemar.p(3, 3), 1e-12);
    assertEquals(2.0 / 32, McNemar.p(0, 5), 1e-12, "five against none: 2 x 2^-5");
    assertEquals(2.0 / 32, McNemar.p(5, 0), 1e-12, "two-sided");
    // 1 against 9: 2 x (1 + 10) / 1024
    assertEquals(22.0 / 1024, McNemar.p(1, 9), 1e-12);
    assertEquals(McNemar.p(2, 12), McNemar.p(12, 2), 1e-15);
  }
}

package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The WAR enforces the master key's minimum length where it reads it, not only the launcher. */
class MasterKeyCheckTest {

  @Test
  void aKeyOfSixteenCharactersWorksAndOnlyItself() {
    String key = "0123456789abcdef";
    assertTrue(AuthenticationFilter.isMasterKey(Optional.of(key), key));
    assertFalse(AuthenticationFilter.isMasterKey(Optional.of(key), key + "x"));
    assertFalse(AuthenticationFilter.isMasterKey(Optional.of(key), ""));
  }

  @Test
  void aShortBlankOrMissingKeyDisablesTheMasterKey() {
    assertFalse(AuthenticationFilter.isMasterKey(Optional.of("short-key"), "short-key"));
    assertFalse(AuthenticationFilter.isMasterKey(Optional.of("x"), "x"));
    assertFalse(AuthenticationFilter.isMasterKey(Optional.of("   "), "   "));
    assertFalse(AuthenticationFilter.isMasterKey(Optional.empty(), "anything-long-enough"));
  }
}

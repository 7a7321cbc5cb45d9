package dev.llada.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.domain.ConflictException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The alias rules without a database: promotion, rollback as a swap, the zoo alias. */
class AliasRulesTest {

  private final UUID v1 = UUID.randomUUID();
  private final UUID v2 = UUID.randomUUID();

  @Test
  void promotionCreatesMovesOrDoesNothing() {
    assertEquals(
        Optional.of(AliasChange.Action.CREATE), AliasRules.promotion(Optional.empty(), v1));
    assertEquals(
        Optional.of(AliasChange.Action.PROMOTE), AliasRules.promotion(Optional.of(v1), v2));
    assertEquals(Optional.empty(), AliasRules.promotion(Optional.of(v1), v1));
  }

  @Test
  void rollbackGoesToWhereTheAliasPointedBeforeItsLastMove() {
    // newest first: created at v1, promoted to v2 -> back to v1
    assertEquals(v1, AliasRules.rollbackTarget("a", List.of(v2, v1)));
    // after that rollback (history v1, v2, ...) a second one swaps back to v2
    assertEquals(v2, AliasRules.rollbackTarget("a", List.of(v1, v2)));
  }

  @Test
  void anAliasThatNeverMovedCannotRollBack() {
    ConflictException e =
        assertThrows(ConflictException.class, () -> AliasRules.rollbackTarget("a", List.of(v1)));
    assertEquals("nothing_to_roll_back", e.code());
    assertEquals(409, e.status());
    assertThrows(ConflictException.class, () -> AliasRules.rollbackTarget("a", List.of()));
  }

  @Test
  void theZooAliasFollowsTheFilesUnlessPointedAtAnotherName() {
    assertTrue(AliasRules.zooAliasFollows(Optional.empty(), "tiny:1"), "no alias yet");
    assertTrue(AliasRules.zooAliasFollows(Optional.of("tiny:1"), "tiny:2"), "new files");
    assertTrue(AliasRules.zooAliasFollows(Optional.of("tiny:3"), "tiny:1"), "files reverted");
    assertFalse(AliasRules.zooAliasFollows(Optional.of("tiny:2"), "tiny:2"), "already there");
    assertFalse(
        AliasRules.zooAliasFollows(Optional.of("tiny-ft:4"), "tiny:2"), "an admin's choice stays");
    assertFalse(AliasRules.zooAliasFollows(Optional.of("other:1"), "tiny:2"));
  }
}

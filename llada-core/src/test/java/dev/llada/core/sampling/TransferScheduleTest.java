package dev.llada.core.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Golden cases of {@code get_num_transfer_tokens} (llada-spec §2.3). */
class TransferScheduleTest {

  @Test
  void tenMasksOverFourStepsFrontLoadTheRemainder() {
    assertArrayEquals(new int[] {3, 3, 2, 2}, TransferSchedule.numTransferTokens(10, 4));
  }

  @Test
  void specExampleThirtyTwoOverTen() {
    assertArrayEquals(
        new int[] {4, 4, 3, 3, 3, 3, 3, 3, 3, 3}, TransferSchedule.numTransferTokens(32, 10));
  }

  @Test
  void fewerMasksThanStepsLeavesEmptySteps() {
    assertArrayEquals(new int[] {1, 1, 0, 0, 0}, TransferSchedule.numTransferTokens(2, 5));
  }

  @Test
  void quotasAlwaysSumToTheMaskCountAndDifferByAtMostOne() {
    Random random = new Random(7);
    for (int trial = 0; trial < 1000; trial++) {
      int masks = random.nextInt(300);
      int steps = 1 + random.nextInt(64);
      int[] quota = TransferSchedule.numTransferTokens(masks, steps);
      assertEquals(steps, quota.length);
      assertEquals(masks, Arrays.stream(quota).sum());
      int max = Arrays.stream(quota).max().orElseThrow();
      int min = Arrays.stream(quota).min().orElseThrow();
      assertEquals(true, max - min <= 1, "quotas " + Arrays.toString(quota));
    }
  }

  @Test
  void batchRowsAreIndependent() {
    int[][] quotas = TransferSchedule.numTransferTokens(new int[] {10, 4}, 4);
    assertArrayEquals(new int[] {3, 3, 2, 2}, quotas[0]);
    assertArrayEquals(new int[] {1, 1, 1, 1}, quotas[1]);
  }

  @Test
  void impossibleArgumentsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> TransferSchedule.numTransferTokens(3, 0));
    assertThrows(IllegalArgumentException.class, () -> TransferSchedule.numTransferTokens(-1, 4));
  }
}

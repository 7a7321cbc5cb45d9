package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.eval.Evaluation;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tasks.Tasks;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The paired difference, its interval, and the answer-form check. */
class PairedComparisonTest {

  private static final Task ADD2 = Tasks.get("add2");

  private static Evaluation.Answers answers(List<Example> items, String... outputs) {
    return new Evaluation.Answers(items, new int[items.size()][], outputs, 0, 0);
  }

  @Test
  void theDifferenceCountsTheDiscordantItemsAndItsIntervalIsThePairedOne() {
    List<Example> items =
        List.of(
            new Example("add2", "1+1=", "2", List.of()),
            new Example("add2", "1+2=", "3", List.of()),
            new Example("add2", "2+2=", "4", List.of()),
            new Example("add2", "2+3=", "5", List.of()));
    PairedComparison.Row r =
        PairedComparison.compare(
            ADD2, answers(items, "2", "9", "4", "x"), answers(items, "2", "3", "5", "5"));
    assertEquals(0.5, r.baseline());
    assertEquals(0.75, r.model());
    assertEquals(1, r.onlyBaseline());
    assertEquals(2, r.onlyModel());
    assertEquals(0.25, r.delta(), 1e-12);
    // SE = sqrt(b + c - (c - b)^2 / n) / n = sqrt(3 - 1/4) / 4
    assertEquals(Math.sqrt(2.75) / 4, r.se(), 1e-12);
    assertEquals(0.75, r.baselineForm(), 1e-12, "'x' is not a number");
    assertEquals(1.0, r.modelForm(), 1e-12);
    double[] avg = PairedComparison.average(List.of(r, r));
    assertEquals(0.25, avg[0], 1e-12);
    assertEquals(r.se() / Math.sqrt(2), avg[1], 1e-12);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PairedComparison.compare(
                ADD2,
                answers(items, "2", "3", "4", "5"),
                answers(items.subList(0, 3), "2", "3", "4")));
  }

  @Test
  void formFollowsTheGoldAnswersCharacterClasses() {
    assertTrue(PairedComparison.wellFormed("olleh", "ollhe"));
    assertFalse(PairedComparison.wellFormed("olleh", "oll3h"));
    assertFalse(PairedComparison.wellFormed("olleh", ""));
    assertTrue(PairedComparison.wellFormed("42", "-7"));
    assertFalse(PairedComparison.wellFormed("42", "4-2"));
    assertFalse(PairedComparison.wellFormed("42", "4 2"));
  }
}

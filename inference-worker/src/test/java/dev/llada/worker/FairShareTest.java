package dev.llada.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FairShareTest {

  private static Map<String, Integer> demand(Object... kv) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], (Integer) kv[i + 1]);
    }
    return m;
  }

  @Test
  void aLoneTenantStepsEverythingItHas() {
    assertEquals(Map.of("a", 8), FairShare.stepsPerTenant(demand("a", 8), Map.of(), 8));
  }

  @Test
  void aFloodingTenantStepsNoMoreThanTheLightOnesDemandPerWeight() {
    assertEquals(
        Map.of("a", 1, "b", 1), FairShare.stepsPerTenant(demand("a", 8, "b", 1), Map.of(), 8));
    assertEquals(
        Map.of("a", 3, "b", 3), FairShare.stepsPerTenant(demand("a", 7, "b", 3), Map.of(), 8));
    // weight 2 gets twice the light tenant's share
    assertEquals(
        Map.of("a", 2, "b", 1),
        FairShare.stepsPerTenant(demand("a", 8, "b", 1), Map.of("a", 2.0), 8));
  }

  @Test
  void moreTenantsThanTheBudgetShareItByWeight() {
    Map<String, Integer> d = demand("a", 4, "b", 4, "c", 4, "d", 4);
    Map<String, Integer> s = FairShare.stepsPerTenant(d, Map.of(), 6);
    assertEquals(6, s.values().stream().mapToInt(Integer::intValue).sum(), s.toString());
    s.values().forEach(v -> assertEquals(true, v >= 1, s.toString()));
  }

  @Test
  void withMoreTenantsThanRowsTheFirstInOrderStepAndTheOrderRotates() {
    // the worker orders tenants by their longest-waiting request: those left out come first next
    assertEquals(
        Map.of("a", 1, "b", 1, "c", 0),
        FairShare.stepsPerTenant(demand("a", 1, "b", 1, "c", 1), Map.of(), 2));
    assertEquals(
        Map.of("c", 1, "a", 1, "b", 0),
        FairShare.stepsPerTenant(demand("c", 1, "a", 1, "b", 1), Map.of(), 2));
  }

  @Test
  void fillingHandsTheRowsTheEqualSharesLeaveToThoseWhoWantMore() {
    assertEquals(
        Map.of("a", 7, "b", 1),
        FairShare.stepsPerTenant(demand("a", 8, "b", 1), Map.of(), 8, true));
    assertEquals(
        Map.of("a", 3, "b", 3, "c", 1),
        FairShare.stepsPerTenant(demand("a", 5, "b", 3, "c", 1), Map.of(), 7, true));
    assertEquals(
        Map.of("a", 1, "b", 1), FairShare.stepsPerTenant(demand("a", 8, "b", 1), Map.of(), 8));
    assertEquals(
        Map.of("a", 1, "b", 1),
        FairShare.stepsPerTenant(demand("a", 8, "b", 1), Map.of("a", Double.POSITIVE_INFINITY), 8),
        "an infinite weight counts as 1");
  }

  @Test
  void theTenantWithTheFewestInFlightPerWeightJoinsNext() {
    assertEquals("b", FairShare.nextToAdmit(List.of("a", "b"), Map.of("a", 5, "b", 1), Map.of()));
    assertEquals("a", FairShare.nextToAdmit(List.of("a", "b"), Map.of("a", 1, "b", 1), Map.of()));
    assertEquals(
        "a", FairShare.nextToAdmit(List.of("a", "b"), Map.of("a", 3, "b", 2), Map.of("a", 2.0)));
  }
}

package dev.llada.worker;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Per-tenant fairness of the step-level batch ({@link LocalWorkerPool}), as plain arithmetic: which
 * tenant's waiting request joins next, and how many of each tenant's requests take the next step.
 *
 * <p>Steps are shared by weight, max-min fair: every active tenant may step as many requests per
 * unit of weight as the least demanding one asks for, so a tenant with one request in flight is
 * never slowed by another's flood beyond its share. On a compute-bound device a forward's cost
 * grows with its rows (docs/BENCHMARKS.md, 2026-12-02), so a step with fewer rows is faster: the
 * light tenant's latency stays near its solo latency while the heavy tenant's throughput is halved,
 * not stopped. Requests left out of a step wait with their state (and cache) intact.
 */
final class FairShare {

  private FairShare() {}

  /**
   * How many requests of each tenant step next: {@code min(demand, max(1, ⌊w · m⌋))} with {@code m}
   * the smallest demand per weight among the tenants, then scaled down to {@code maxRows} in
   * proportion to weight (at least one each while the budget allows).
   *
   * @param demand requests in flight per tenant (only tenants with some)
   * @param weight each tenant's weight (missing or ≤ 0: 1)
   */
  static Map<String, Integer> stepsPerTenant(
      Map<String, Integer> demand, Map<String, Double> weight, int maxRows) {
    return stepsPerTenant(demand, weight, maxRows, false);
  }

  /**
   * As {@link #stepsPerTenant(Map, Map, int)}; with {@code fill}, the rows the equal shares leave
   * unused go, one at a time in order, to the tenants that want more (water-filling): on a device
   * where a step costs about the same with more rows (a GPU), a full step loses no latency and
   * gains throughput. Tenants are served in the map's order (the caller puts the least recently
   * stepped first).
   */
  static Map<String, Integer> stepsPerTenant(
      Map<String, Integer> demand, Map<String, Double> weight, int maxRows, boolean fill) {
    Map<String, Integer> out = new LinkedHashMap<>();
    double m = Double.POSITIVE_INFINITY;
    for (Map.Entry<String, Integer> e : demand.entrySet()) {
      if (e.getValue() > 0) {
        m = Math.min(m, e.getValue() / weight(weight, e.getKey()));
      }
    }
    int total = 0;
    for (Map.Entry<String, Integer> e : demand.entrySet()) {
      if (e.getValue() > 0) {
        int allow =
            Math.min(e.getValue(), Math.max(1, (int) Math.floor(weight(weight, e.getKey()) * m)));
        out.put(e.getKey(), allow);
        total += allow;
      }
    }
    if (total > maxRows) { // more tenants than the budget shares evenly: scale by weight
      double sum = out.keySet().stream().mapToDouble(t -> weight(weight, t)).sum();
      int left = maxRows;
      Map<String, Integer> wanted = new LinkedHashMap<>(out);
      for (Map.Entry<String, Integer> e : out.entrySet()) {
        int share = (int) Math.max(1, Math.floor(maxRows * weight(weight, e.getKey()) / sum));
        int v = Math.min(e.getValue(), Math.min(share, left));
        e.setValue(v);
        left -= v;
      }
      give(out, wanted, left);
    } else if (fill) {
      Map<String, Integer> wanted = new LinkedHashMap<>(demand);
      wanted.values().removeIf(v -> v <= 0);
      give(out, wanted, maxRows - total);
    }
    return out;
  }

  /** Hands {@code left} rows, one at a time in order, to those below what they want. */
  private static void give(Map<String, Integer> out, Map<String, Integer> wanted, int left) {
    for (boolean gave = true; left > 0 && gave; ) {
      gave = false;
      for (Map.Entry<String, Integer> e : out.entrySet()) {
        if (left > 0 && e.getValue() < wanted.get(e.getKey())) {
          e.setValue(e.getValue() + 1);
          left--;
          gave = true;
        }
      }
    }
  }

  /** The tenant whose waiting request joins next: the fewest in flight per weight. */
  static String nextToAdmit(
      Iterable<String> waiting, Map<String, Integer> inFlight, Map<String, Double> weight) {
    String best = null;
    double bestLoad = Double.POSITIVE_INFINITY;
    for (String t : waiting) { // in order of their oldest waiting request: ties go to the oldest
      double load = inFlight.getOrDefault(t, 0) / weight(weight, t);
      if (load < bestLoad) {
        best = t;
        bestLoad = load;
      }
    }
    return best;
  }

  private static double weight(Map<String, Double> weight, String tenant) {
    Double w = weight.get(tenant);
    return w == null || !(w > 0) || w.isInfinite() ? 1 : w;
  }
}

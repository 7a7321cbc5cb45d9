package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * EdgeIT's fuzz aims at every endpoint the JAX-RS resources declare: a new one cannot be missed.
 */
class EdgeFuzzCoverageTest {

  @Test
  void theFuzzCoversEveryEndpoint() {
    List<String> targets =
        new EdgeFuzz(1L, "llk_x", ApiClient.MASTER_KEY, "llada-tiny-instruct", "edge").targets();
    List<String> missed =
        Endpoints.all().stream()
            .filter(
                endpoint -> {
                  Pattern p =
                      Pattern.compile(
                          Pattern.quote(endpoint).replaceAll("\\{[^}]+}", "\\\\E[^/]+\\\\Q"));
                  return targets.stream().noneMatch(t -> p.matcher(t).matches());
                })
            .toList();
    assertEquals(List.of(), missed, "endpoints EdgeFuzz never calls; add them to its list");
  }
}

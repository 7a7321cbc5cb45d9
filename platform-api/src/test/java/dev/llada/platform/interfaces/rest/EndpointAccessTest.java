package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.Endpoints;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The one authorization table covers every endpoint, and docs/SECURITY.md shows that table. */
class EndpointAccessTest {

  @Test
  void everyEndpointHasARuleAndEveryRuleAnEndpoint() {
    List<String> endpoints = Endpoints.all();
    assertTrue(endpoints.size() >= 30, endpoints.toString());
    assertEquals(new TreeSet<>(EndpointAccess.RULES.keySet()), new TreeSet<>(endpoints));
  }

  @Test
  void theSecurityDocumentListsEveryEndpointWithItsScope() {
    Map<String, Map<String, String>> table = Endpoints.securityTable();
    assertEquals(new TreeSet<>(EndpointAccess.RULES.keySet()), table.keySet());
    EndpointAccess.RULES.forEach(
        (endpoint, rule) -> {
          Map<String, String> row = table.get(endpoint);
          assertEquals(rule.scope().wire(), row.get("Scope"), endpoint);
          // a tenant-scoped rule shows as "own" for the tenant's callers that hold the scope
          boolean own = row.values().contains("own");
          assertEquals(rule.tenantScoped(), own, endpoint);
        });
  }
}

package dev.llada.platform.infrastructure.startup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The WAR connects only with a configured database, never with built-in credentials (issue S). */
class DatabaseBootstrapTest {

  @Test
  void everySettingConfiguredIsUsable() {
    Map<String, String> config =
        Map.of(
            "llada.db.url", "jdbc:postgresql://db:5432/llada",
            "llada.db.user", "llada",
            "llada.db.password", "s3cret-s3cret-s3cret");
    assertEquals(
        Optional.empty(),
        DatabaseBootstrap.missingSetting(k -> Optional.ofNullable(config.get(k))));
  }

  @Test
  void aMissingOrBlankSettingIsNamedAndNothingConnects() {
    Map<String, String> config =
        Map.of("llada.db.url", "jdbc:postgresql://db:5432/llada", "llada.db.password", " ");
    String why =
        DatabaseBootstrap.missingSetting(k -> Optional.ofNullable(config.get(k))).orElseThrow();
    assertTrue(why.contains("LLADA_DB_USER, LLADA_DB_PASSWORD"), why);
    assertTrue(why.contains("llada.db.user, llada.db.password"), why);
    assertTrue(!why.contains("LLADA_DB_URL"), why);
    assertTrue(
        DatabaseBootstrap.missingSetting(k -> Optional.empty())
            .orElseThrow()
            .contains("LLADA_DB_URL, LLADA_DB_USER, LLADA_DB_PASSWORD"));
  }
}

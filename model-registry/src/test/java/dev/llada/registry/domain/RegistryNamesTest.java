package dev.llada.registry.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llada.platform.domain.InvalidRequestException;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** What the registry accepts, said before the database sees it, naming the parameter. */
class RegistryNamesTest {

  private static String refused(Executable check) {
    return assertThrows(InvalidRequestException.class, check).param();
  }

  @Test
  void namesAndAliasesAreLowerCaseSlugs() {
    RegistryNames.checkName("llada-tiny-base");
    RegistryNames.checkName("a".repeat(128));
    assertEquals("name", refused(() -> RegistryNames.checkName("a".repeat(129))));
    assertEquals("name", refused(() -> RegistryNames.checkName("Upper")));
    assertEquals("name", refused(() -> RegistryNames.checkName("-x")));
    assertEquals("name", refused(() -> RegistryNames.checkName(null)));
    RegistryNames.checkAlias("instruct@prod");
    assertEquals("alias", refused(() -> RegistryNames.checkAlias("a b")));
    assertEquals("name", refused(() -> RegistryNames.checkName("instruct@prod")));
  }

  @Test
  void referencesAreNameColonPositiveNumber() {
    assertEquals(new RegistryNames.Ref("tiny", 3), RegistryNames.parseRef("tiny:3", "version"));
    for (String bad :
        new String[] {"tiny", "tiny:0", "tiny:-1", ":3", "tiny:x", "tiny:99999999999"}) {
      assertEquals("base_version", refused(() -> RegistryNames.parseRef(bad, "base_version")), bad);
    }
    assertEquals("version", refused(() -> RegistryNames.parseRef(null, "version")));
  }

  @Test
  void lineageAndTagsHaveTheColumnsLengths() {
    RegistryNames.checkLineage(null, null, null);
    assertEquals("training_job", refused(() -> RegistryNames.checkLineage(null, " ", null)));
    assertEquals("dataset", refused(() -> RegistryNames.checkLineage(null, null, "d".repeat(201))));
    assertEquals(
        "base_version", refused(() -> RegistryNames.checkLineage("b".repeat(141), null, null)));
    Map<String, String> tags = new HashMap<>();
    tags.put("stage", "prod");
    tags.put("removed", null);
    RegistryNames.checkTags(tags);
    assertEquals("tags", refused(() -> RegistryNames.checkTags(Map.of("a b", "x"))));
    assertEquals("tags", refused(() -> RegistryNames.checkTags(Map.of("k", "v".repeat(501)))));
  }

  @Test
  void cardsAreCutAt64KiB() {
    assertEquals(null, RegistryNames.card(null));
    assertEquals("short", RegistryNames.card("short"));
    assertEquals(RegistryNames.MAX_CARD, RegistryNames.card("x".repeat(100_000)).length());
  }
}

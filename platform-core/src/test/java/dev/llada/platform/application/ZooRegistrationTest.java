package dev.llada.platform.application;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.domain.ServiceUnavailableException;
import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.domain.VariantCode;
import jakarta.transaction.UserTransaction;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zoo alias follows the files (every zoo version of a name shares its directory, so only the
 * version with the files' digest can serve), unless an administrator pointed it at another name;
 * each directory registers in one transaction. Runs on the shipped zoo with a recording registry.
 */
class ZooRegistrationTest {

  private final List<String> calls = new ArrayList<>();

  /**
   * A registry whose alias points at {@code aliasAt} (null: no alias) and whose files are v{@code
   * files}.
   */
  private ZooRegistration zoo(String aliasAt, int files, boolean created, boolean promoteFails) {
    return zoo(Path.of("..", "models").toAbsolutePath(), aliasAt, files, created, promoteFails);
  }

  private ZooRegistration zoo(
      Path models, String aliasAt, int files, boolean created, boolean promoteFails) {
    ZooRegistration z = new ZooRegistration();
    z.modelsDirectory = Optional.of(models.toString());
    z.transaction =
        (UserTransaction)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {UserTransaction.class},
                (proxy, method, args) -> {
                  calls.add("tx." + method.getName());
                  return null;
                });
    z.admin =
        (ModelAdmin)
            Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {ModelAdmin.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "register" -> {
                        String name = (String) args[0];
                        calls.add(
                            "register "
                                + name
                                + " "
                                + args[1]
                                + " "
                                + args[3]
                                + " "
                                + args[4]
                                + " "
                                + args[5]);
                        yield new ModelRegistry.Registered(view(name, files), created);
                      }
                      case "versions" -> List.of(view((String) args[0], files));
                      case "findAlias" -> {
                        if (aliasAt == null) {
                          yield Optional.empty();
                        }
                        String target = aliasAt.contains(":") ? aliasAt : args[0] + ":" + aliasAt;
                        yield Optional.of(
                            new ModelAdmin.AliasView(
                                (String) args[0], null, target, Instant.EPOCH));
                      }
                      case "promote" -> {
                        calls.add("promote " + args[0] + " " + args[2]);
                        if (promoteFails) {
                          throw new ServiceUnavailableException("database_unavailable", "down");
                        }
                        yield null;
                      }
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    return z;
  }

  private static ModelRegistry.VersionView view(String name, int version) {
    return new ModelRegistry.VersionView(
        UUID.randomUUID(),
        name,
        version,
        VariantCode.INSTRUCT.name(),
        "sha256:00",
        "file:///m",
        1,
        "F32",
        "single",
        true,
        null,
        null,
        null,
        Map.of(),
        null,
        Instant.EPOCH);
  }

  private List<String> promotes() {
    return calls.stream().filter(c -> c.startsWith("promote")).toList();
  }

  private List<String> registers() {
    return calls.stream().filter(c -> c.startsWith("register")).toList();
  }

  @Test
  void aVrpoModelIsAV15VersionWithItsLineageRegisteredAfterItsBase(@TempDir Path models)
      throws Exception {
    Path instruct = Path.of("..", "models", "llada-tiny-instruct");
    for (String name : List.of("llada-tiny-instruct", "llada-tiny-1.5")) {
      Path dir = Files.createDirectories(models.resolve(name));
      for (String f :
          List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
        Files.copy(instruct.resolve(f), dir.resolve(f));
      }
    }
    Files.writeString(
        models.resolve("llada-tiny-1.5").resolve("vrpo.json"),
        "{\"recipe\":\"llada-tiny-1.5\",\"base_name\":\"llada-tiny-instruct\","
            + "\"base_digest\":\"sha256:00\",\"data_digest\":\"sha256:ab\"}");
    assertTrue(zoo(models, null, 3, true, false).ensureRegistered());
    assertEquals(
        List.of(
            "register llada-tiny-instruct INSTRUCT null null null",
            "register llada-tiny-1.5 V1_5 llada-tiny-instruct:3 vrpo llada-tiny-1.5 sha256:ab"),
        registers(),
        "the base first ('1.5' sorts before 'instruct'), its version resolved by digest");
    calls.clear();
    Files.writeString(
        models.resolve("llada-tiny-1.5").resolve("vrpo.json"),
        "{\"recipe\":\"x\",\"base_name\":\"llada-tiny-instruct\",\"base_digest\":\"sha256:ff\"}");
    assertTrue(zoo(models, null, 3, true, false).ensureRegistered());
    assertEquals(
        "register llada-tiny-1.5 V1_5 null vrpo x null",
        registers().get(1),
        "a base digest that is not registered leaves the base version empty");
  }

  @Test
  void aMissingAliasIsCreatedAtTheFilesVersion() {
    assertTrue(zoo(null, 1, true, false).ensureRegistered());
    assertEquals(
        List.of(
            "promote llada-tiny-base llada-tiny-base:1",
            "promote llada-tiny-instruct llada-tiny-instruct:1",
            "promote llada-tiny-moe llada-tiny-moe:1",
            "promote llada-tiny-v llada-tiny-v:1",
            "promote llada-tiny-1.5 llada-tiny-1.5:1"),
        promotes(),
        "the VRPO model, with its lineage, after its base");
    assertTrue(
        registers().contains("register llada-tiny-moe MOE null null null"), calls.toString());
    assertTrue(
        registers().contains("register llada-tiny-v VISION null null null"), calls.toString());
    assertEquals(5, calls.stream().filter(c -> c.equals("tx.commit")).count());
  }

  @Test
  void theAliasFollowsNewFilesAndFilesRevertedToAnOlderVersion() {
    assertTrue(zoo("1", 2, true, false).ensureRegistered());
    assertEquals(5, promotes().size());
    assertTrue(promotes().get(0).endsWith(":2"), promotes().toString());
    calls.clear();
    assertTrue(zoo("2", 1, false, false).ensureRegistered(), "files back at version 1");
    assertTrue(promotes().get(0).endsWith(":1"), promotes().toString());
  }

  @Test
  void anAliasAtTheFilesVersionOrAtAnotherNameStaysWhereItIs() {
    assertTrue(zoo("1", 1, false, false).ensureRegistered());
    assertEquals(List.of(), promotes());
    assertTrue(zoo("someone-elses-model:4", 1, false, false).ensureRegistered());
    assertEquals(List.of(), promotes(), "an administrator's choice of another name stands");
  }

  @Test
  void aFailedPromotionRollsTheRegistrationBackAndIsRetried() {
    ZooRegistration z = zoo("1", 2, true, true);
    assertFalse(z.ensureRegistered());
    assertTrue(calls.contains("tx.rollback"), calls.toString());
    assertFalse(calls.contains("tx.commit"), calls.toString());
  }

  @Test
  void aDenseCheckpointNamedMoeIsSkipped(@TempDir Path models) throws Exception {
    Path base = Path.of("..", "models", "llada-tiny-base");
    Path fake = Files.createDirectories(models.resolve("llada-dense-moe"));
    try (var files = Files.list(base)) {
      for (Path f : files.toList()) {
        Files.copy(f, fake.resolve(f.getFileName()));
      }
    }
    assertTrue(zoo(models, null, 1, true, false).ensureRegistered());
    assertEquals(List.of(), registers(), "the name says MoE, the config says dense");
  }

  @Test
  void aDenseCheckpointNamedVIsSkippedAndAVisionOneNamedOtherwiseToo(@TempDir Path models)
      throws Exception {
    for (String[] copy :
        new String[][] {
          {"llada-tiny-base", "llada-dense-v"}, {"llada-tiny-v", "llada-vision-base"}
        }) {
      Path fake = Files.createDirectories(models.resolve(copy[1]));
      try (var files = Files.list(Path.of("..", "models", copy[0]))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          Files.copy(f, fake.resolve(f.getFileName()));
        }
      }
    }
    assertTrue(zoo(models, null, 1, true, false).ensureRegistered());
    assertEquals(List.of(), registers(), "the names and the configs disagree");
  }
}

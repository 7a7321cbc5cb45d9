package dev.llada.platform;

import static dev.llada.platform.ApiClient.admin;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The registry's administration on the running platform: register model directories as immutable
 * versions, reject bad ones with reasons, tag, lineage, and aliases (global and per tenant) with
 * promote, rollback and history.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class RegistryIT {

  private static final Path ZOO = Path.of(System.getProperty("it.models.dir", "../models"));
  private static final Path WORK = Path.of("target", "it-models").toAbsolutePath();

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  /** A copy of a zoo model; {@code variantTag} changes its tokenizer_config, so its digest. */
  private static Path copy(String model, String name, String variantTag) throws IOException {
    Path target = WORK.resolve(name);
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(ZOO.resolve(model))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    if (variantTag != null) {
      Path config = target.resolve("tokenizer_config.json");
      String json = Files.readString(config).trim();
      Files.writeString(
          config, json.substring(0, json.length() - 1) + ",\"x_variant\":\"" + variantTag + "\"}");
    }
    return target;
  }

  private static HttpResponse<String> register(String name, String variant, Path dir, String extra)
      throws Exception {
    return admin()
        .post(
            "/v1/admin/models",
            "{\"name\":\""
                + name
                + "\",\"variant\":\""
                + variant
                + "\",\"path\":\""
                + dir
                + "\""
                + (extra == null ? "" : "," + extra)
                + "}");
  }

  /**
   * Zoo registration and the admin API write versions through the one registry writer (issue #14):
   * zoo versions carry their model card and layout, and registrations of one name that race each
   * other get consecutive numbers and no error.
   */
  @Test
  void zooVersionsCarryTheirCardAndRacingRegistrationsNumberConsecutively() throws Exception {
    JsonObject zoo =
        json(admin().get("/v1/admin/models/llada-tiny-instruct/versions"))
            .getJsonArray("data")
            .getJsonObject(0);
    assertEquals("single", zoo.getString("layout"), zoo.toString());
    assertTrue(zoo.getBoolean("has_tokenizer"), zoo.toString());
    assertTrue(zoo.getString("model_card").contains("llada-tiny-instruct"), zoo.toString());
    JsonObject history = json(admin().get("/v1/admin/aliases/llada-tiny-instruct/history"));
    assertEquals(1, history.getJsonArray("data").size(), "the zoo's alias: " + history);

    int n = 6;
    List<Path> dirs = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      dirs.add(copy("llada-tiny-base", "race" + i, "race-" + i));
    }
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> runs =
        new java.util.ArrayList<>();
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    for (Path dir : dirs) {
      runs.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> {
                try {
                  go.await();
                  return register("reg-race", "BASE", dir, null);
                } catch (Exception e) {
                  throw new java.util.concurrent.CompletionException(e);
                }
              }));
    }
    go.countDown();
    java.util.Set<Integer> numbers = new java.util.TreeSet<>();
    for (var run : runs) {
      HttpResponse<String> r = run.get();
      assertEquals(201, r.statusCode(), r.body());
      numbers.add(json(r).getInt("version"));
    }
    assertEquals(java.util.Set.of(1, 2, 3, 4, 5, 6), numbers);
  }

  @Test
  void registersVersionsByContentAndTracesLineage() throws Exception {
    HttpResponse<String> base =
        register("reg-base", "BASE", copy("llada-tiny-base", "b", null), null);
    assertEquals(201, base.statusCode(), base.body());
    JsonObject b = json(base);
    assertEquals(1, b.getInt("version"));
    assertTrue(b.getString("digest").matches("sha256:[0-9a-f]{64}"));
    assertEquals(920_192, b.getJsonNumber("parameter_count").longValue());
    assertEquals("F32", b.getString("dtype"));
    assertEquals("single", b.getString("layout"));
    assertTrue(b.getString("model_card").contains("llada-tiny-base"));
    HttpResponse<String> again = register("reg-base", "BASE", WORK.resolve("b"), null);
    assertEquals(200, again.statusCode(), "same content, same version: " + again.body());
    assertEquals(1, json(again).getInt("version"));

    HttpResponse<String> sft =
        register(
            "reg-sft",
            "INSTRUCT",
            copy("llada-tiny-instruct", "s1", null),
            "\"base_version\":\"reg-base:1\",\"training_job\":\"sft-2026-11-28\","
                + "\"dataset\":\"tasks-v1\",\"tags\":{\"stage\":\"candidate\"}");
    assertEquals(201, sft.statusCode(), sft.body());
    assertEquals("reg-base:1", json(sft).getString("base_version"));
    HttpResponse<String> sft2 =
        register(
            "reg-sft",
            "INSTRUCT",
            copy("llada-tiny-instruct", "s2", "two"),
            "\"base_version\":\"reg-sft:1\",\"training_job\":\"vrpo-1\"");
    assertEquals(201, sft2.statusCode(), sft2.body());
    assertEquals(2, json(sft2).getInt("version"));

    JsonObject lineage = json(admin().get("/v1/admin/models/reg-sft/versions/2/lineage"));
    List<String> ancestors =
        lineage.getJsonArray("ancestors").stream()
            .map(JsonValue::asJsonObject)
            .map(o -> o.getString("name") + ":" + o.getInt("version"))
            .toList();
    assertEquals(List.of("reg-sft:1", "reg-base:1"), ancestors);
    JsonObject down = json(admin().get("/v1/admin/models/reg-base/versions/1/lineage"));
    assertEquals(2, down.getJsonArray("descendants").size(), down.toString());

    HttpResponse<String> tagged =
        admin()
            .patch(
                "/v1/admin/models/reg-sft/versions/1/tags",
                "{\"stage\":\"production\",\"owner\":\"ml-team\"}");
    assertEquals(200, tagged.statusCode(), tagged.body());
    assertEquals("production", json(tagged).getJsonObject("tags").getString("stage"));
    HttpResponse<String> untag =
        admin().patch("/v1/admin/models/reg-sft/versions/1/tags", "{\"owner\":null}");
    assertFalse(json(untag).getJsonObject("tags").containsKey("owner"));
    assertEquals(
        2, json(admin().get("/v1/admin/models/reg-sft/versions")).getJsonArray("data").size());
  }

  @Test
  void refusesBadModelDirectoriesWithReasons() throws Exception {
    Path broken = copy("llada-tiny-base", "broken", null);
    Files.writeString(broken.resolve("config.json"), "{\"model_type\": \"llada\", \"d_model\": ");
    Path noTokenizer = copy("llada-tiny-base", "no-tokenizer", null);
    Files.delete(noTokenizer.resolve("tokenizer.json"));
    Path noWeights = copy("llada-tiny-base", "no-weights", null);
    try (Stream<Path> files = Files.list(noWeights)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).toList()) {
        Files.delete(f);
      }
    }
    for (Path dir : List.of(broken, noTokenizer, noWeights, WORK.resolve("missing"))) {
      HttpResponse<String> r = register("reg-bad", "BASE", dir, null);
      assertEquals(400, r.statusCode(), dir + ": " + r.body());
      JsonObject error = json(r).getJsonObject("error");
      assertEquals("invalid_model_directory", error.getString("code"), r.body());
      assertEquals("path", error.getString("param"));
      assertTrue(error.getString("message").length() > 30, r.body());
    }
    HttpResponse<String> relative = register("reg-bad", "BASE", Path.of("models/x"), null);
    assertEquals(400, relative.statusCode());
    HttpResponse<String> variant = register("reg-bad", "GPT", broken, null);
    assertEquals("variant", json(variant).getJsonObject("error").getString("param"));
    HttpResponse<String> unknownBase =
        register(
            "reg-bad", "BASE", copy("llada-tiny-base", "ok", null), "\"base_version\":\"nope:1\"");
    assertEquals(400, unknownBase.statusCode());
    assertEquals("base_version", json(unknownBase).getJsonObject("error").getString("param"));
    assertEquals(
        404,
        admin().get("/v1/admin/models/reg-bad/versions").statusCode(),
        "nothing was registered");
  }

  @Test
  void aliasesArePromotedRolledBackAndScopedToTenants() throws Exception {
    register("reg-alias", "INSTRUCT", copy("llada-tiny-instruct", "a1", null), null);
    register("reg-alias", "INSTRUCT", copy("llada-tiny-instruct", "a2", "second"), null);
    HttpResponse<String> created =
        admin().put("/v1/admin/aliases/assistant@prod", "{\"version\":\"reg-alias:1\"}");
    assertEquals(200, created.statusCode(), created.body());
    assertEquals("reg-alias:1", json(created).getString("version"));
    HttpResponse<String> rollbackNew =
        admin().post("/v1/admin/aliases/assistant@prod/rollback", "");
    assertEquals(409, rollbackNew.statusCode(), rollbackNew.body());
    assertEquals(
        "reg-alias:2",
        json(admin().put("/v1/admin/aliases/assistant@prod", "{\"version\":\"reg-alias:2\"}"))
            .getString("version"));
    assertEquals(
        "reg-alias:2",
        json(admin().get("/v1/models/assistant@prod")).getString("version"),
        "the model list follows the alias");
    assertEquals(
        "reg-alias:1",
        json(admin().post("/v1/admin/aliases/assistant@prod/rollback", "")).getString("version"));
    List<String> moves =
        json(admin().get("/v1/admin/aliases/assistant@prod/history")).getJsonArray("data").stream()
            .map(JsonValue::asJsonObject)
            .map(m -> m.getString("action") + " " + m.getString("version"))
            .toList();
    assertEquals(
        List.of("CREATE reg-alias:1", "PROMOTE reg-alias:2", "ROLLBACK reg-alias:1"), moves);
    HttpResponse<String> badVersion =
        admin().put("/v1/admin/aliases/assistant@prod", "{\"version\":\"reg-alias:9\"}");
    assertEquals(400, badVersion.statusCode());
    assertEquals(
        "reg-alias:1",
        json(admin().get("/v1/models/assistant@prod")).getString("version"),
        "a refused promotion leaves the alias alone");

    ApiClient.createTenant("reg-tenant", null, "INSTRUCT");
    ApiClient.createTenant("reg-other", null, "INSTRUCT");
    ApiClient mine = new ApiClient(ApiClient.createKey("reg-tenant", null));
    ApiClient other = new ApiClient(ApiClient.createKey("reg-other", null));
    HttpResponse<String> own =
        admin()
            .put(
                "/v1/admin/aliases/assistant@prod?tenant=reg-tenant",
                "{\"version\":\"reg-alias:2\"}");
    assertEquals(200, own.statusCode(), own.body());
    assertEquals("reg-tenant", json(own).getString("tenant"));
    JsonObject seen = json(mine.get("/v1/models/assistant@prod"));
    assertEquals("reg-alias:2", seen.getString("version"));
    assertEquals("reg-tenant", seen.getString("owned_by"), "a tenant alias is the tenant's");
    assertEquals("system", json(other.get("/v1/models/assistant@prod")).getString("owned_by"));
    assertEquals(
        "reg-alias:1",
        json(other.get("/v1/models/assistant@prod")).getString("version"),
        "other tenants keep the global alias");
    HttpResponse<String> run =
        mine.post(
            "/v1/completions",
            "{\"model\":\"assistant@prod\",\"prompt\":\"sort 21:\",\"max_tokens\":4,\"steps\":4}");
    assertEquals(200, run.statusCode(), run.body());
  }
}

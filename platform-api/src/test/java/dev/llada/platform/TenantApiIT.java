package dev.llada.platform;

import static dev.llada.platform.ApiClient.admin;
import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.vision.ShapeScenes;
import jakarta.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import javax.imageio.ImageIO;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Tenancy, keys, quotas, the usage ledger and the OpenAI-compatible inference endpoints, on the
 * packaged WAR (Payara Micro, DJL on its server classpath) against a real PostgreSQL, running the
 * shipped tiny models.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class TenantApiIT {

  private static final String MODEL = "llada-tiny-instruct";
  private static final String VISION = "llada-tiny-v";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static String chatBody(String user, String extra) {
    return "{\"model\":\""
        + MODEL
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + user
        + "\"}]"
        + (extra == null ? "" : "," + extra)
        + "}";
  }

  /** Export, then delete (issue #14, item 5; docs/adr/0007). */
  @Test
  void aDeletedTenantIsATombstoneItsLedgerKeptItsDataGone() throws Exception {
    createTenant("gone", null, "INSTRUCT");
    String secret = createKey("gone", null);
    ApiClient tenant = new ApiClient(secret);
    ApiClient a = admin();
    assertEquals(
        201,
        a.post("/v1/admin/tenants/gone/users", "{\"issuer\":\"https://idp\",\"subject\":\"g\"}")
            .statusCode());
    assertEquals(
        200,
        a.put("/v1/admin/aliases/gone-a?tenant=gone", "{\"version\":\"" + MODEL + ":1\"}")
            .statusCode());
    HttpResponse<String> ran =
        ApiClient.HTTP.send(
            tenant
                .request("/v1/chat/completions")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "gone-1")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        chatBody("sort 21:", "\"max_tokens\":2,\"steps\":2")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ran.statusCode(), ran.body());
    String tenantId = json(a.get("/v1/admin/tenants/gone")).getString("id");
    long ledger =
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger WHERE tenant_id = '" + tenantId + "'");
    assertEquals(2, ledger);

    JsonObject export = json(a.get("/v1/admin/tenants/gone/export"));
    assertEquals("gone", export.getJsonObject("tenant").getString("slug"));
    assertEquals(1, export.getJsonArray("users").size());
    assertEquals(1, export.getJsonArray("keys").size());
    assertFalse(export.toString().contains(secret), "no secret in an export");
    assertEquals("gone-a", export.getJsonArray("aliases").getJsonObject(0).getString("alias"));
    assertEquals(1, export.getJsonArray("usage").getJsonObject(0).getInt("requests"));

    HttpResponse<String> deleted = a.delete("/v1/admin/tenants/gone");
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals("DELETED", json(deleted).getString("status"));
    assertNotNull(json(deleted).getString("deleted_at"));
    assertEquals(401, tenant.get("/v1/models").statusCode(), "its keys are revoked");
    assertEquals(
        "api_key_revoked", json(tenant.get("/v1/models")).getJsonObject("error").getString("code"));
    assertEquals(
        ledger,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger WHERE tenant_id = '" + tenantId + "'"),
        "the ledger is the financial record");
    for (String table :
        new String[] {
          "tenant_user", "tenant_entitlement", "model_alias", "request_log", "idempotent_response"
        }) {
      assertEquals(
          0,
          ItDatabase.queryLong(
              "SELECT count(*) FROM " + table + " WHERE tenant_id = '" + tenantId + "'"),
          table);
    }
    JsonObject after = json(a.get("/v1/admin/tenants/gone/export"));
    assertEquals("DELETED", after.getJsonObject("tenant").getString("status"));
    assertEquals(1, after.getJsonArray("usage").size(), "the usage stays readable");
    assertEquals(
        200, a.delete("/v1/admin/tenants/gone").statusCode(), "deleting twice is harmless");
    HttpResponse<String> patch = a.patch("/v1/admin/tenants/gone", "{\"status\":\"ACTIVE\"}");
    assertEquals(409, patch.statusCode(), patch.body());
    assertEquals("tenant_deleted", json(patch).getJsonObject("error").getString("code"));
    assertEquals(409, a.post("/v1/admin/tenants/gone/keys", "{\"name\":\"again\"}").statusCode());
    HttpResponse<String> reuse =
        a.post("/v1/admin/tenants", "{\"slug\":\"gone\",\"display_name\":\"x\"}");
    assertEquals(409, reuse.statusCode(), "a slug names one tenant forever: " + reuse.body());
    assertEquals(404, a.delete("/v1/admin/tenants/never-was").statusCode());
    HttpResponse<String> alias =
        a.put("/v1/admin/aliases/gone-b?tenant=gone", "{\"version\":\"" + MODEL + ":1\"}");
    assertEquals(409, alias.statusCode(), "no alias on a tombstone: " + alias.body());
    // what a request in flight at the deletion writes afterwards goes with the next sweep
    ItDatabase.execute(
        "INSERT INTO request_log (request_id, tenant_id, method, path, status, latency_ms) VALUES"
            + " (gen_random_uuid(), '"
            + tenantId
            + "', 'POST', '/v1/completions', 200, 5)");
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (ItDatabase.queryLong(
            "SELECT count(*) FROM request_log WHERE tenant_id = '" + tenantId + "'")
        > 0) {
      assertTrue(System.nanoTime() < deadline, "the sweeper never finished the deletion");
      Thread.sleep(250);
    }
  }

  /**
   * Tenant scoping of the new and changed endpoints: the model list, files, export and deletion.
   */
  @Test
  void tenantsNeverSeeOrTouchEachOthersModelsExportsOrExistence() throws Exception {
    createTenant("iso-a", null, "INSTRUCT");
    createTenant("iso-b", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("iso-a", null));
    ApiClient b = new ApiClient(createKey("iso-b", null));
    assertEquals(
        200,
        admin()
            .put("/v1/admin/aliases/only-a?tenant=iso-a", "{\"version\":\"" + MODEL + ":1\"}")
            .statusCode());
    assertTrue(a.get("/v1/models").body().contains("\"only-a\""));
    assertFalse(b.get("/v1/models").body().contains("\"only-a\""), "another tenant's alias");
    assertEquals(404, b.get("/v1/models/only-a").statusCode());
    HttpResponse<String> run =
        b.post(
            "/v1/chat/completions",
            "{\"model\":\"only-a\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"x\"}],\"max_tokens\":2,\"steps\":2}");
    assertEquals(404, run.statusCode(), run.body());
    for (ApiClient tenant : new ApiClient[] {a, b}) {
      assertEquals(403, tenant.get("/v1/admin/tenants/iso-a/export").statusCode());
      assertEquals(403, tenant.delete("/v1/admin/tenants/iso-a").statusCode());
    }
    assertEquals("ACTIVE", json(admin().get("/v1/admin/tenants/iso-a")).getString("status"));
    // A's file: B can neither list, read, download nor delete it; it stays A's, in A's export only
    HttpResponse<String> up =
        FilesIT.upload(
            a,
            "iso-a.jsonl",
            FilesIT.pair("only a").getBytes(StandardCharsets.UTF_8),
            "purpose",
            "fine-tune");
    assertEquals(200, up.statusCode(), up.body());
    String file = json(up).getString("id");
    assertEquals(0, json(b.get("/v1/files")).getJsonArray("data").size());
    for (String path : new String[] {"/v1/files/" + file, "/v1/files/" + file + "/content"}) {
      HttpResponse<String> r = b.get(path);
      assertEquals(404, r.statusCode(), path);
      assertEquals("file_not_found", json(r).getJsonObject("error").getString("code"));
    }
    assertEquals(404, b.delete("/v1/files/" + file).statusCode());
    assertEquals(400, b.get("/v1/files?after=" + file).statusCode(), "A's id is no cursor of B's");
    assertEquals(200, a.get("/v1/files/" + file).statusCode(), "still A's");
    JsonObject export = json(admin().get("/v1/admin/tenants/iso-b/export"));
    assertFalse(export.toString().contains("only-a"), "A's alias in B's export: " + export);
    assertEquals(1, export.getJsonArray("keys").size(), "B's key only");
    assertEquals(0, export.getJsonArray("files").size(), "A's file in B's export: " + export);
    assertEquals(
        1, json(admin().get("/v1/admin/tenants/iso-a/export")).getJsonArray("files").size());
  }

  /** An OpenAI client that picks any listed model can run it (issue #14, item 4). */
  @Test
  void everyModelListedToANewTenantAnswersAChatRequest() throws Exception {
    createTenant("listed", null, "BASE", "INSTRUCT", "V1_5", "MOE", "VISION");
    ApiClient tenant = new ApiClient(createKey("listed", null));
    JsonObject list = json(tenant.get("/v1/models"));
    List<String> ids = new ArrayList<>();
    list.getJsonArray("data").forEach(m -> ids.add(m.asJsonObject().getString("id")));
    assertTrue(ids.contains(MODEL) && ids.contains("llada-tiny-base"), ids.toString());
    assertTrue(ids.contains(VISION), ids.toString());
    assertFalse(ids.contains("llada-8b-instruct"), "an undeployed variant is not listed: " + ids);
    int context =
        json(java.nio.file.Files.readString(
                java.nio.file.Path.of(
                    System.getProperty("it.models.dir", "../models"), MODEL, "config.json")))
            .getInt("max_sequence_length");
    for (var m : list.getJsonArray("data")) {
      JsonObject o = m.asJsonObject();
      JsonObject c = o.getJsonObject("capabilities");
      assertTrue(c.getBoolean("completions") && c.getBoolean("chat"), o.toString());
      assertEquals(!o.getString("variant").equals("BASE"), c.getBoolean("instruction_tuned"));
      assertEquals(
          o.getString("variant").equals("VISION"),
          c.getBoolean("vision"),
          "images for the VISION variant only: " + o);
      if (o.getString("id").equals(MODEL)) {
        assertEquals(context, c.getInt("context_length"), o.toString());
      }
    }
    assertEquals(404, tenant.get("/v1/models/llada-8b-instruct").statusCode());
    for (String id : ids) {
      HttpResponse<String> r =
          tenant.post(
              "/v1/chat/completions",
              "{\"model\":\""
                  + id
                  + "\",\"messages\":[{\"role\":\"user\",\"content\":\"sort 21:\"}],"
                  + "\"max_tokens\":2,\"steps\":2}");
      assertEquals(200, r.statusCode(), id + ": " + r.body());
    }
    JsonObject all = json(admin().get("/v1/models"));
    assertTrue(all.toString().contains("llada-8b-instruct"), "the master key sees the registry");
  }

  @Test
  void administratorsManageTenantsAndKeysShownOnce() throws Exception {
    createTenant("anvil", "{\"requests_per_minute\":100}", "INSTRUCT");
    HttpResponse<String> again =
        admin().post("/v1/admin/tenants", "{\"slug\":\"anvil\",\"display_name\":\"x\"}");
    assertEquals(409, again.statusCode(), again.body());
    assertEquals("tenant_exists", json(again).getJsonObject("error").getString("code"));
    HttpResponse<String> bad =
        admin().post("/v1/admin/tenants", "{\"slug\":\"Not A Slug\",\"display_name\":\"x\"}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertEquals("slug", json(bad).getJsonObject("error").getString("param"));
    HttpResponse<String> badJson = admin().post("/v1/admin/tenants", "{\"slug\":");
    assertEquals(400, badJson.statusCode(), badJson.body());
    assertEquals("invalid_json", json(badJson).getJsonObject("error").getString("code"));
    HttpResponse<String> badLimit =
        admin().patch("/v1/admin/tenants/anvil", "{\"limits\":{\"requests_per_minute\":-3}}");
    assertEquals(400, badLimit.statusCode(), badLimit.body());
    assertEquals(
        100,
        json(admin().get("/v1/admin/tenants/anvil"))
            .getJsonObject("limits")
            .getInt("requests_per_minute"),
        "a refused update leaves the stored limits alone");
    // the queue weight (issue #16: weighted fair queueing): 1 unless set, 1 to 100
    assertEquals(1, json(admin().get("/v1/admin/tenants/anvil")).getInt("queue_weight"));
    HttpResponse<String> weighted =
        admin().patch("/v1/admin/tenants/anvil", "{\"queue_weight\":4}");
    assertEquals(200, weighted.statusCode(), weighted.body());
    assertEquals(4, json(weighted).getInt("queue_weight"));
    for (String w : new String[] {"0", "101", "-2", "2.5", "\"3\"", "true"}) {
      HttpResponse<String> refused =
          admin().patch("/v1/admin/tenants/anvil", "{\"queue_weight\":" + w + "}");
      assertEquals(400, refused.statusCode(), w + ": " + refused.body());
      assertEquals("queue_weight", json(refused).getJsonObject("error").getString("param"), w);
    }
    assertEquals(4, json(admin().get("/v1/admin/tenants/anvil")).getInt("queue_weight"));
    HttpResponse<String> heavy =
        admin()
            .post(
                "/v1/admin/tenants",
                "{\"slug\":\"anvil-heavy\",\"display_name\":\"H\",\"queue_weight\":100}");
    assertEquals(201, heavy.statusCode(), heavy.body());
    assertEquals(100, json(heavy).getInt("queue_weight"));

    String secret = createKey("anvil", "\"scopes\":[\"inference\",\"models:read\"]");
    assertTrue(secret.startsWith("llk_") && secret.length() == 44, secret);
    HttpResponse<String> keys = admin().get("/v1/admin/tenants/anvil/keys");
    assertEquals(200, keys.statusCode(), keys.body());
    assertFalse(keys.body().contains(secret), "a listed key never shows its secret");
    JsonObject listed = json(keys).getJsonArray("data").getJsonObject(0);
    assertEquals(secret.substring(0, 12), listed.getString("prefix"));
    assertFalse(listed.containsKey("secret"));

    ApiClient tenant = new ApiClient(secret);
    HttpResponse<String> models = tenant.get("/v1/models");
    assertEquals(200, models.statusCode(), models.body());
    assertTrue(models.body().contains(MODEL), models.body());
    assertFalse(
        models.body().contains("llada-tiny-base"), "not entitled to BASE: " + models.body());
    HttpResponse<String> adminCall = tenant.get("/v1/admin/tenants");
    assertEquals(403, adminCall.statusCode(), adminCall.body());
    HttpResponse<String> usage = tenant.get("/v1/usage");
    assertEquals(403, usage.statusCode(), "the key lacks usage:read: " + usage.body());
    assertEquals("insufficient_scope", json(usage).getJsonObject("error").getString("code"));

    HttpResponse<String> expired =
        admin()
            .post(
                "/v1/admin/tenants/anvil/keys",
                "{\"name\":\"old\",\"expires_at\":\"2001-01-01T00:00:00Z\"}");
    assertEquals(400, expired.statusCode(), expired.body());

    String id = listed.getString("id");
    HttpResponse<String> revoked = admin().delete("/v1/admin/tenants/anvil/keys/" + id);
    assertEquals(200, revoked.statusCode(), revoked.body());
    assertNotNull(json(revoked).getString("revoked_at"));
    HttpResponse<String> after = tenant.get("/v1/models");
    assertEquals(401, after.statusCode(), after.body());
    assertEquals("api_key_revoked", json(after).getJsonObject("error").getString("code"));
  }

  @Test
  void chatAndCompletionsRunTheTinyInstructModel() throws Exception {
    createTenant("globex", "{\"requests_per_minute\":1000,\"tokens_per_day\":100000}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("globex", null));
    String body = chatBody("sort 5132:", "\"steps\":8,\"gen_length\":8,\"seed\":1");
    HttpResponse<String> r = tenant.post("/v1/chat/completions", body);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject chat = json(r);
    assertEquals("chat.completion", chat.getString("object"));
    assertEquals(MODEL, chat.getString("model"));
    JsonObject choice = chat.getJsonArray("choices").getJsonObject(0);
    assertEquals("assistant", choice.getJsonObject("message").getString("role"));
    String content = choice.getJsonObject("message").getString("content");
    JsonObject usage = chat.getJsonObject("usage");
    assertEquals(8, usage.getInt("steps"));
    assertTrue(usage.getInt("completion_tokens") <= 8);
    assertEquals(
        usage.getInt("prompt_tokens") + usage.getInt("completion_tokens"),
        usage.getInt("total_tokens"));
    assertEquals(
        8L * (usage.getInt("prompt_tokens") + 8), usage.getJsonNumber("compute_units").longValue());
    assertEquals("1000", r.headers().firstValue("x-ratelimit-limit-requests").orElse(""));
    assertEquals("100000", r.headers().firstValue("x-ratelimit-limit-tokens").orElse(""));
    String requestId = r.headers().firstValue("x-request-id").orElseThrow();

    HttpResponse<String> same = tenant.post("/v1/chat/completions", body);
    assertEquals(
        content,
        json(same)
            .getJsonArray("choices")
            .getJsonObject(0)
            .getJsonObject("message")
            .getString("content"),
        "same seed, same answer");

    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                + " AND request_id = '"
                + requestId
                + "'"));
    assertEquals(
        200,
        ItDatabase.queryLong(
            "SELECT status FROM request_log WHERE request_id = '" + requestId + "'"));

    HttpResponse<String> completion =
        tenant.post(
            "/v1/completions",
            "{\"model\":\"" + MODEL + "\",\"prompt\":\"sort 321:\",\"max_tokens\":8,\"steps\":4}");
    assertEquals(200, completion.statusCode(), completion.body());
    JsonObject c = json(completion);
    assertEquals("text_completion", c.getString("object"));
    assertTrue(c.getJsonArray("choices").getJsonObject(0).containsKey("text"));
    assertEquals(4, c.getJsonObject("usage").getInt("steps"));
  }

  @Test
  void badRequestsAreRefusedWithTheParameterNamed() throws Exception {
    createTenant("initech", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("initech", null));
    record Case(String body, int status, String code, String param) {}
    List<Case> cases =
        List.of(
            new Case(
                chatBody("hi", "\"steps\":3,\"gen_length\":8,\"block_length\":4"),
                400,
                "invalid_request",
                "steps"),
            new Case(
                chatBody("hi", "\"gen_length\":8,\"block_length\":3"),
                400,
                "invalid_request",
                "gen_length"),
            new Case(
                chatBody("hi", "\"gen_length\":4000"),
                400,
                "context_length_exceeded",
                "gen_length"),
            new Case(
                chatBody("hi", "\"remasking\":\"sometimes\""), 400, "invalid_request", "remasking"),
            new Case(chatBody("hi", "\"temperature\":-1"), 400, "invalid_request", "temperature"),
            new Case(chatBody("hi", "\"n\":2"), 400, "invalid_request", "n"),
            new Case(chatBody("hi", "\"logprobs\":true"), 400, "unsupported_parameter", "logprobs"),
            new Case(
                "{\"model\":\"" + MODEL + "\",\"messages\":[]}",
                400,
                "invalid_request",
                "messages"),
            new Case(
                "{\"model\":\""
                    + MODEL
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\"}}]}]}",
                400,
                "image_not_supported",
                "messages[0].content[0]"),
            new Case(
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                404,
                "model_not_found",
                "model"),
            new Case(
                "{\"model\":\"llada-tiny-base\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                403,
                "model_not_allowed",
                "model"),
            new Case(
                "{\"model\":\"llada-8b-instruct\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                422,
                "model_not_deployed",
                "model"),
            new Case(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                400,
                "invalid_request",
                "model"),
            new Case("[1,2", 400, "invalid_json", null));
    for (Case c : cases) {
      HttpResponse<String> r = tenant.post("/v1/chat/completions", c.body());
      assertEquals(c.status(), r.statusCode(), c.body() + " -> " + r.body());
      JsonObject error = json(r).getJsonObject("error");
      assertEquals(c.code(), error.getString("code"), r.body());
      if (c.param() != null) {
        assertEquals(c.param(), error.getString("param"), r.body());
      }
      assertFalse(r.body().contains("Exception"), r.body());
    }
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'initech'"),
        "refused requests reserve nothing");
    HttpResponse<String> master = admin().post("/v1/chat/completions", chatBody("hi", null));
    assertEquals(403, master.statusCode(), master.body());
    // a body over 1 MiB is refused from its Content-Length, before it is read
    try (Socket socket = new Socket("127.0.0.1", ApiClient.HTTP_PORT)) {
      socket
          .getOutputStream()
          .write(
              ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + tenant.key()
                      + "\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{")
                  .getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String status = in.readLine();
      assertTrue(status.contains(" 413 "), status);
    }
  }

  @Test
  void streamsChunksThatAddUpToTheSameAnswer() throws Exception {
    createTenant("umbrella", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("umbrella", null));
    String knobs = "\"steps\":16,\"gen_length\":16,\"block_length\":4,\"seed\":3";
    String whole =
        json(tenant.post("/v1/chat/completions", chatBody("reverse abcdef:", knobs)))
            .getJsonArray("choices")
            .getJsonObject(0)
            .getJsonObject("message")
            .getString("content");
    HttpResponse<String> r =
        tenant.post(
            "/v1/chat/completions",
            chatBody(
                "reverse abcdef:",
                knobs + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
    List<String> data = new ArrayList<>();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    assertEquals("[DONE]", data.get(data.size() - 1));
    StringBuilder streamed = new StringBuilder();
    String finish = null;
    JsonObject usage = null;
    for (String d : data.subList(0, data.size() - 1)) {
      JsonObject chunk = json(d);
      assertEquals("chat.completion.chunk", chunk.getString("object"));
      if (chunk.containsKey("usage")) {
        usage = chunk.getJsonObject("usage");
        continue;
      }
      JsonObject choice = chunk.getJsonArray("choices").getJsonObject(0);
      JsonObject delta = choice.getJsonObject("delta");
      if (delta.containsKey("content")) {
        streamed.append(delta.getString("content"));
      }
      if (!choice.isNull("finish_reason")) {
        finish = choice.getString("finish_reason");
      }
    }
    assertEquals(whole, streamed.toString());
    assertNotNull(finish);
    assertNotNull(usage, r.body());
    assertEquals(16, usage.getInt("steps"));
  }

  @Test
  void fiftyParallelRequestsAgainstTwentyPerMinuteAdmitExactlyTwenty() throws Exception {
    createTenant("hooli", "{\"requests_per_minute\":20}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("hooli", null));
    String body = chatBody("sort 42:", "\"steps\":4,\"gen_length\":4");
    CountDownLatch ready = new CountDownLatch(1);
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    var pool = java.util.concurrent.Executors.newFixedThreadPool(50);
    HttpRequest request =
        tenant
            .request("/v1/chat/completions")
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    for (int i = 0; i < 50; i++) {
      calls.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  ready.await();
                  return ApiClient.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              pool));
    }
    ready.countDown();
    pool.shutdown();
    int ok = 0;
    int limited = 0;
    for (var call : calls) {
      HttpResponse<String> r = call.join();
      if (r.statusCode() == 200) {
        ok++;
      } else {
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("rate_limit_exceeded", json(r).getJsonObject("error").getString("code"));
        long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
        assertEquals("0", r.headers().firstValue("x-ratelimit-remaining-requests").orElse(""));
        limited++;
      }
    }
    if (ok != 20) {
      // a minute boundary passed during the burst: the next window admits up to 20 more
      assertTrue(ok > 20 && ok <= 40, ok + " admitted");
    }
    assertEquals(50, ok + limited);
    String tenantFilter =
        " FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id WHERE t.slug = 'hooli'";
    assertEquals(
        ok, ItDatabase.queryLong("SELECT count(*)" + tenantFilter + " AND entry = 'RESERVE'"));
    assertEquals(
        ok, ItDatabase.queryLong("SELECT count(*)" + tenantFilter + " AND entry = 'SETTLE'"));
    assertEquals(
        ok,
        ItDatabase.queryLong(
            "SELECT sum(used) FROM quota_counter q JOIN tenant t ON t.id = q.scope_id"
                + " WHERE t.slug = 'hooli' AND q.metric = 'REQUESTS'"));
    HttpResponse<String> drift = admin().get("/v1/admin/tenants/hooli/usage/drift");
    assertEquals(200, drift.statusCode(), drift.body());
    assertTrue(json(drift).getBoolean("consistent"), drift.body());
  }

  @Test
  void aClientThatLeavesMidStreamPaysForTheStepsThatRan() throws Exception {
    createTenant("wayne", null, "INSTRUCT");
    String secret = createKey("wayne", null);
    // 448 steps over 112 tokens: long enough to leave in the middle
    String body =
        "{\"model\":\""
            + MODEL
            + "\",\"prompt\":\"sort 1:\",\"gen_length\":112,\"steps\":448,\"stream\":true}";
    try (Socket socket = new Socket("127.0.0.1", ApiClient.HTTP_PORT)) {
      OutputStream out = socket.getOutputStream();
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      out.write(
          ("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                  + secret
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + bytes.length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      assertTrue(in.readLine().contains(" 200 "));
      String line;
      int events = 0;
      while ((line = in.readLine()) != null && events < 3) {
        if (line.startsWith(": step") || line.startsWith("data:")) {
          events++;
        }
      }
    } // the client leaves after three events
    String settled =
        "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
            + " WHERE t.slug = 'wayne' AND l.entry = 'SETTLE'";
    for (int i = 0; i < 100 && ItDatabase.queryLong(settled) == 0; i++) {
      Thread.sleep(100);
    }
    assertEquals(1, ItDatabase.queryLong(settled));
    String ledger =
        " FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id WHERE t.slug = 'wayne'";
    assertEquals(
        1, ItDatabase.queryLong("SELECT count(*)" + ledger + " AND outcome = 'DISCONNECTED'"));
    long reserved =
        ItDatabase.queryLong("SELECT compute_units" + ledger + " AND entry = 'RESERVE'");
    long charged = ItDatabase.queryLong("SELECT compute_units" + ledger + " AND entry = 'SETTLE'");
    long perStep = reserved / 448;
    assertEquals(0, charged % perStep, "whole steps are charged");
    assertTrue(charged >= 3 * perStep && charged < reserved, charged + " of " + reserved);
    HttpResponse<String> drift = admin().get("/v1/admin/tenants/wayne/usage/drift");
    assertTrue(json(drift).getBoolean("consistent"), drift.body());
  }

  @Test
  void usageReportsComeAsJsonAndCsv() throws Exception {
    createTenant("stark", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("stark", null));
    for (int i = 0; i < 2; i++) {
      assertEquals(
          200,
          tenant
              .post("/v1/chat/completions", chatBody("sort 9:", "\"steps\":4,\"gen_length\":4"))
              .statusCode());
    }
    HttpResponse<String> own = tenant.get("/v1/usage");
    assertEquals(200, own.statusCode(), own.body());
    JsonObject row = json(own).getJsonArray("data").getJsonObject(0);
    assertEquals("stark", row.getString("tenant"));
    assertEquals(MODEL, row.getString("model"));
    assertEquals(2, row.getInt("requests"));
    assertEquals(0, row.getInt("failed"));
    HttpResponse<String> csv = admin().get("/v1/admin/usage?tenant=stark&format=csv");
    assertEquals(200, csv.statusCode(), csv.body());
    String[] lines = csv.body().split("\n");
    assertEquals(
        "day,tenant,model,key_prefix,requests,prompt_tokens,completion_tokens,compute_units,failed",
        lines[0]);
    assertEquals(2, lines.length, csv.body());
    assertTrue(lines[1].contains(",stark," + MODEL + ",llk_"), lines[1]);
    HttpResponse<String> badDate = tenant.get("/v1/usage?from=yesterday");
    assertEquals(400, badDate.statusCode());
    assertEquals("from", json(badDate).getJsonObject("error").getString("param"));
  }

  @Test
  void diffusionGenerateStreamsTheDenoisingTrace() throws Exception {
    createTenant("cyberdyne", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("cyberdyne", null));
    String body =
        "{\"model\":\""
            + MODEL
            + "\",\"prompt\":\"sort 321:\",\"gen_length\":8,\"steps\":4,\"block_length\":4,\"seed\":2";
    HttpResponse<String> whole = tenant.post("/v1/diffusion/generate", body + ",\"stream\":false}");
    assertEquals(200, whole.statusCode(), whole.body());
    JsonObject done = json(whole);
    assertEquals(4, done.getJsonArray("trace").size());
    int committed = 0;
    for (var step : done.getJsonArray("trace")) {
      JsonObject s = step.asJsonObject();
      assertEquals(2, s.getJsonArray("positions").size(), "8 tokens over 4 steps: 2 a step");
      assertEquals(s.getInt("step") < 2 ? 0 : 1, s.getInt("block"));
      for (var p : s.getJsonArray("positions")) {
        int position = ((jakarta.json.JsonNumber) p).intValue();
        assertTrue(position >= 4 * s.getInt("block") && position < 4 * s.getInt("block") + 4);
      }
      committed += s.getJsonArray("positions").size();
    }
    assertEquals(8, committed);
    HttpResponse<String> streamed = tenant.post("/v1/diffusion/generate", body + "}");
    assertEquals(200, streamed.statusCode(), streamed.body());
    List<JsonObject> events = new ArrayList<>();
    for (String line : streamed.body().split("\n")) {
      if (line.startsWith("data: {")) {
        events.add(json(line.substring(6)));
      }
    }
    assertTrue(streamed.body().trim().endsWith("data: [DONE]"));
    assertEquals(5, events.size(), streamed.body());
    assertEquals("done", events.get(4).getString("type"));
    assertEquals(done.getString("text"), events.get(4).getString("text"), "same seed, same text");
    // the fast sampler: fewer forwards, billed for what ran, and the usage says which sampler ran
    String fastBody =
        "{\"model\":\""
            + MODEL
            + "\",\"prompt\":\"sort 321:\",\"gen_length\":16,\"steps\":16,\"sampler\":\"fast\","
            + "\"threshold\":0.01,\"stream\":false}";
    HttpResponse<String> fast = tenant.post("/v1/diffusion/generate", fastBody);
    assertEquals(200, fast.statusCode(), fast.body());
    JsonObject usage = json(fast).getJsonObject("usage");
    assertEquals("fast", usage.getString("sampler"));
    assertTrue(usage.getInt("nfe") < 16, "a low threshold commits several a step: " + usage);
    assertEquals("dual", usage.getString("cache"), "the dual KV cache by default");
    assertEquals("incremental", usage.getString("refresh"));
    int length = usage.getInt("prompt_tokens") + 16;
    // one block: a full forward refreshes the cache, the other forwards compute the block only
    assertEquals(
        length + (usage.getInt("nfe") - 1) * 16, usage.getInt("compute_units"), "billed as ran");
    HttpResponse<String> uncached =
        tenant.post(
            "/v1/diffusion/generate",
            fastBody.replace("\"stream\"", "\"cache\":\"none\",\"stream\""));
    assertEquals(200, uncached.statusCode(), uncached.body());
    JsonObject plain = json(uncached).getJsonObject("usage");
    assertEquals("none", plain.getString("cache"));
    assertEquals(plain.getInt("nfe") * length, plain.getInt("compute_units"), "full forwards");
    assertEquals("none", done.getJsonObject("usage").getString("cache"));
    assertEquals("reference", done.getJsonObject("usage").getString("sampler"));
    HttpResponse<String> badThreshold =
        tenant.post(
            "/v1/diffusion/generate",
            "{\"model\":\"" + MODEL + "\",\"prompt\":\"x\",\"sampler\":\"fast\",\"threshold\":2}");
    assertEquals(400, badThreshold.statusCode(), badThreshold.body());
    assertEquals("threshold", json(badThreshold).getJsonObject("error").getString("param"));
    HttpResponse<String> notAnArray =
        tenant.post("/v1/diffusion/generate", "{\"model\":\"" + MODEL + "\",\"messages\":\"hi\"}");
    assertEquals(400, notAnArray.statusCode(), notAnArray.body());
    assertEquals("messages", json(notAnArray).getJsonObject("error").getString("param"));
  }

  /**
   * The bundled LLaDA-MoE (issue #19) is served like the dense models: a chat answer, the same
   * answer streamed, the denoising trace, and a likelihood.
   */
  @Test
  void theTinyMoeGeneratesStreamsAndScoresLikeTheDenseModels() throws Exception {
    createTenant("moe-user", null, "MOE");
    ApiClient tenant = new ApiClient(createKey("moe-user", null));
    String moe = "llada-tiny-moe";
    JsonObject model = json(tenant.get("/v1/models/" + moe));
    assertEquals("MOE", model.getString("variant"), model.toString());
    String knobs = "\"steps\":16,\"gen_length\":16,\"block_length\":4,\"seed\":3";
    String body = chatBody("sort 5 3 8 1:", knobs).replace(MODEL, moe);
    HttpResponse<String> whole = tenant.post("/v1/chat/completions", body);
    assertEquals(200, whole.statusCode(), whole.body());
    JsonObject answer = json(whole);
    String content =
        answer
            .getJsonArray("choices")
            .getJsonObject(0)
            .getJsonObject("message")
            .getString("content");
    assertEquals(moe, answer.getString("model").split(":")[0]);
    HttpResponse<String> r =
        tenant.post("/v1/chat/completions", body.replace(knobs, knobs + ",\"stream\":true"));
    assertEquals(200, r.statusCode(), r.body());
    StringBuilder streamed = new StringBuilder();
    for (String line : r.body().split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        JsonObject delta =
            json(line.substring(6)).getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
        if (delta.containsKey("content")) {
          streamed.append(delta.getString("content"));
        }
      }
    }
    assertEquals(content, streamed.toString(), "streamed chunks add up to the same answer");
    HttpResponse<String> trace =
        tenant.post(
            "/v1/diffusion/generate",
            "{\"model\":\""
                + moe
                + "\",\"prompt\":\"sort 21:\",\"gen_length\":8,\"steps\":4,"
                + "\"block_length\":8,\"stream\":false}");
    assertEquals(200, trace.statusCode(), trace.body());
    HttpResponse<String> ll =
        tenant.post(
            "/v1/loglikelihood",
            "{\"model\":\""
                + moe
                + "\",\"context\":\"sort 321:\",\"continuation\":\"123\","
                + "\"mc_num\":16,\"batch_size\":8}");
    assertEquals(200, ll.statusCode(), ll.body());
    double value = json(ll).getJsonNumber("log_likelihood").doubleValue();
    assertTrue(value < 0 && Double.isFinite(value), ll.body());
  }

  private static String png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static String imagePart(String url) {
    return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}";
  }

  private static String textPart(String text) {
    return "{\"type\":\"text\",\"text\":\"" + text + "\"}";
  }

  /** A chat on the vision model: one user message of {@code parts}. */
  private static String visionChat(String extra, String... parts) {
    return "{\"model\":\""
        + VISION
        + "\",\"messages\":[{\"role\":\"user\",\"content\":["
        + String.join(",", parts)
        + "]}]"
        + (extra == null ? "" : "," + extra)
        + "}";
  }

  private static String content(HttpResponse<String> r) {
    return json(r)
        .getJsonArray("choices")
        .getJsonObject(0)
        .getJsonObject("message")
        .getString("content");
  }

  /**
   * The tiny LLaDA-V model (issue #20) answers a question about a held-out scene sent as a PNG data
   * URL exactly as the model does on its own (llada-core alone), the same when streamed and in the
   * denoising trace; the image is priced as its 65 positions of prompt tokens, and a tenant's
   * logged bodies keep no image data.
   */
  @Test
  void theTinyVisionModelReadsAnImageStreamedTracedAndPricedByItsPositions() throws Exception {
    createTenant("seer", null, "VISION");
    ApiClient tenant = new ApiClient(createKey("seer", null));
    JsonObject listed = json(tenant.get("/v1/models/" + VISION));
    assertEquals("VISION", listed.getString("variant"), listed.toString());
    assertTrue(listed.getJsonObject("capabilities").getBoolean("vision"), listed.toString());
    ShapeScenes.Item item =
        new ShapeScenes(64).next(ShapeScenes.Category.COLOUR, new SplittableRandom(7), true);
    String data = png(item.image());
    String image = imagePart("data:image/png;base64," + data);
    String knobs = "\"gen_length\":16,\"steps\":16,\"seed\":1";
    String body = visionChat(knobs, image, textPart(item.question()));
    HttpResponse<String> whole = tenant.post("/v1/chat/completions", body);
    assertEquals(200, whole.statusCode(), whole.body());
    String answer = content(whole);
    assertEquals(
        VisionOracle.answer(item.image(), item.question(), 16),
        answer,
        "what the model answers on its own: " + item.question() + " " + item.sceneKey());
    int promptTokens = json(whole).getJsonObject("usage").getInt("prompt_tokens");
    HttpResponse<String> asText =
        tenant.post(
            "/v1/chat/completions",
            visionChat("\"gen_length\":1,\"steps\":1", textPart(item.question())));
    assertEquals(200, asText.statusCode(), asText.body());
    assertEquals(
        json(asText).getJsonObject("usage").getInt("prompt_tokens")
            + VisionOracle.tokensPerImage()
            + 1,
        promptTokens,
        "the image's 65 positions and the newline after it, priced as prompt tokens");
    // the same answer streamed
    HttpResponse<String> streamed =
        tenant.post(
            "/v1/chat/completions",
            visionChat(
                knobs + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}",
                image,
                textPart(item.question())));
    assertEquals(200, streamed.statusCode(), streamed.body());
    StringBuilder text = new StringBuilder();
    JsonObject usage = null;
    for (String line : streamed.body().split("\n")) {
      if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
        JsonObject chunk = json(line.substring(6));
        if (chunk.containsKey("usage") && !chunk.isNull("usage")) {
          usage = chunk.getJsonObject("usage");
          continue;
        }
        JsonObject delta = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
        if (delta.containsKey("content") && !delta.isNull("content")) {
          text.append(delta.getString("content"));
        }
      }
    }
    assertEquals(answer, text.toString(), "streamed chunks add up to the same answer");
    assertNotNull(usage, streamed.body());
    assertEquals(promptTokens, usage.getInt("prompt_tokens"));
    // the denoising trace of the same request, whole and streamed
    String traceBody = visionChat(knobs + ",\"stream\":false", image, textPart(item.question()));
    HttpResponse<String> trace = tenant.post("/v1/diffusion/generate", traceBody);
    assertEquals(200, trace.statusCode(), trace.body());
    JsonObject done = json(trace);
    assertEquals(answer, done.getString("text"));
    assertEquals(16, done.getJsonArray("trace").size());
    assertEquals(promptTokens, done.getJsonObject("usage").getInt("prompt_tokens"));
    for (var step : done.getJsonArray("trace")) {
      for (var position : step.asJsonObject().getJsonArray("positions")) {
        int p = ((jakarta.json.JsonNumber) position).intValue();
        assertTrue(p >= 0 && p < 16, "offsets into the generated part: " + step);
      }
    }
    HttpResponse<String> traceStream =
        tenant.post(
            "/v1/diffusion/generate", traceBody.replace("\"stream\":false", "\"stream\":true"));
    assertEquals(200, traceStream.statusCode(), traceStream.body());
    assertEquals(
        16,
        traceStream.body().lines().filter(l -> l.startsWith("data: {\"type\":\"step\"")).count(),
        traceStream.body());
    assertTrue(traceStream.body().contains("\"text\":" + jakarta.json.Json.createValue(answer)));
    String settled =
        "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
            + " WHERE t.slug = 'seer' AND l.entry = 'SETTLE' AND l.outcome = 'SUCCESS'";
    for (int i = 0; i < 100 && ItDatabase.queryLong(settled) < 5; i++) {
      Thread.sleep(50); // a stream is settled just after its last event
    }
    assertEquals(5, ItDatabase.queryLong(settled), "every request settled as a success");
    // a tenant that keeps bodies keeps no image data
    assertEquals(
        200, admin().patch("/v1/admin/tenants/seer", "{\"store_bodies\":true}").statusCode());
    HttpResponse<String> logged = tenant.post("/v1/chat/completions", body);
    assertEquals(200, logged.statusCode(), logged.body());
    String requestId = logged.headers().firstValue("x-request-id").orElseThrow();
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM request_log WHERE request_id = '"
                + requestId
                + "' AND request_body LIKE '%characters not logged%'"
                + " AND request_body NOT LIKE '%"
                + data.substring(0, 32)
                + "%'"));
  }

  /**
   * Every bad image, and every request with images the model cannot take, is a 400 naming the part
   * (or the knob) before anything is reserved; a body over 1 MiB with no image is a 413 as on any
   * text endpoint, one with a 4 MiB image passes.
   */
  @Test
  void badImagesAreRefusedNamingThePartAndReserveNothing() throws Exception {
    createTenant("squint", null, "VISION", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("squint", null));
    String ok = "data:image/png;base64," + png(new ShapeScenes(64).draw(List.of()));
    String url = "messages[0].content[0].image_url.url";
    byte[] truncated = Base64.getDecoder().decode(ok.substring(ok.indexOf(',') + 1));
    truncated = java.util.Arrays.copyOf(truncated, truncated.length / 2);
    record Case(String path, String body, String code, String param) {}
    List<Case> cases =
        List.of(
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("https://example.com/cat.png"), textPart("x")),
                "image_url_not_supported",
                url),
            new Case(
                "/v1/diffusion/generate",
                visionChat(null, imagePart("http://10.0.0.1/x.jpg")),
                "image_url_not_supported",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("data:image/webp;base64,UklGRiQAAABXRUJQ")),
                "unsupported_image",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("data:image/png;base64,R0lGODlhAQABAAAAACw=")),
                "unsupported_image",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("data:image/png;base64,@@not*base64@@")),
                "invalid_base64",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("data:image/png;base64,aGVsbG8gd29ybGQ=")),
                "not_an_image",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(
                    null,
                    imagePart(
                        "data:image/png;base64," + Base64.getEncoder().encodeToString(truncated))),
                "corrupt_image",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("data:image/png;base64," + bomb())),
                "image_too_large",
                url),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart("file:///etc/passwd")),
                "invalid_image_url",
                url),
            new Case(
                "/v1/chat/completions",
                chatBody("x", null)
                    .replace("\"content\":\"x\"", "\"content\":[" + imagePart(ok) + "]"),
                "image_not_supported",
                "messages[0].content[0]"),
            new Case(
                "/v1/chat/completions",
                visionChat(null, textPart("x"))
                    .replace("\"user\"", "\"assistant\"")
                    .replace("]}]", "," + imagePart(ok) + "]}]"),
                "invalid_request",
                "messages[0].content[1]"),
            new Case(
                "/v1/chat/completions",
                visionChat(null, imagePart(ok), textPart("what is <image> here?")),
                "invalid_request",
                "messages[0].content[1].text"),
            new Case(
                "/v1/chat/completions",
                visionChat("\"cfg_scale\":1.5", imagePart(ok), textPart("x")),
                "unsupported_parameter",
                "cfg_scale"),
            new Case(
                "/v1/chat/completions",
                visionChat(
                    null,
                    java.util.Collections.nCopies(
                            VisionOracle.context() / VisionOracle.tokensPerImage() + 1,
                            imagePart(ok))
                        .toArray(String[]::new)),
                "context_length_exceeded",
                "messages"),
            new Case(
                "/v1/chat/completions",
                visionChat(
                    "\"gen_length\":" + (VisionOracle.context() - VisionOracle.tokensPerImage()),
                    imagePart(ok),
                    textPart("x")),
                "context_length_exceeded",
                "gen_length"),
            new Case(
                "/v1/chat/completions",
                visionChat(
                    null, java.util.Collections.nCopies(9, imagePart(ok)).toArray(String[]::new)),
                "too_many_images",
                "messages"),
            new Case(
                "/v1/chat/completions",
                visionChat(null, "{\"type\":\"input_image\",\"image_url\":\"" + ok + "\"}"),
                "invalid_request",
                "messages[0].content[0]"),
            new Case(
                "/v1/chat/completions",
                visionChat("\"n\":2", imagePart(ok), textPart("x")),
                "invalid_request",
                "n"));
    for (Case c : cases) {
      HttpResponse<String> r = tenant.post(c.path(), c.body());
      assertEquals(400, r.statusCode(), c.code() + " -> " + r.body());
      JsonObject error = json(r).getJsonObject("error");
      assertEquals(c.code(), error.getString("code"), r.body());
      assertEquals(c.param(), error.getString("param"), r.body());
      assertFalse(r.body().contains("Exception"), r.body());
    }
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'squint'"),
        "refused requests reserve nothing");
    // over 1 MiB without an image: 413 before the idempotency store sees it
    HttpResponse<String> big =
        ApiClient.HTTP.send(
            tenant
                .request("/v1/chat/completions")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", "squint-big")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        visionChat(null, textPart("a".repeat(1_200_000)))))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(413, big.statusCode(), big.body());
    assertEquals("request_too_large", json(big).getJsonObject("error").getString("code"));
    assertEquals(
        0,
        ItDatabase.queryLong("SELECT count(*) FROM idempotent_response WHERE key = 'squint-big'"));
    // an image of 4 MiB of base64 goes through the image endpoints' larger cap
    BufferedImage noise = new BufferedImage(1100, 1000, BufferedImage.TYPE_INT_RGB);
    SplittableRandom random = new SplittableRandom(1);
    for (int y = 0; y < noise.getHeight(); y++) {
      for (int x = 0; x < noise.getWidth(); x++) {
        noise.setRGB(x, y, random.nextInt(1 << 24));
      }
    }
    String large = png(noise);
    assertTrue(large.length() > (4 << 20), "well over the text cap: " + large.length());
    HttpResponse<String> passes =
        tenant.post(
            "/v1/chat/completions",
            visionChat(
                "\"gen_length\":2,\"steps\":2",
                imagePart("data:image/png;base64," + large),
                textPart("what colour?")));
    assertEquals(200, passes.statusCode(), passes.body());
    // over the image cap: refused from its Content-Length, unread
    try (Socket socket = new Socket("127.0.0.1", ApiClient.HTTP_PORT)) {
      socket
          .getOutputStream()
          .write(
              ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + tenant.key()
                      + "\r\nContent-Type: application/json\r\nContent-Length: 30000000\r\n\r\n{")
                  .getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String status = in.readLine();
      assertTrue(status.contains(" 413 "), status);
    }
  }

  /** A PNG whose header declares 100,000 × 100,000 pixels: refused from the header, undecoded. */
  private static String bomb() {
    java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(17);
    ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(100_000).putInt(100_000);
    ihdr.put(new byte[] {8, 2, 0, 0, 0});
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(ihdr.array());
    java.nio.ByteBuffer png = java.nio.ByteBuffer.allocate(8 + 4 + 17 + 4 + 12);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    png.putInt(13).put(ihdr.array()).putInt((int) crc.getValue());
    png.putInt(0).put("IEND".getBytes(StandardCharsets.US_ASCII)).putInt(0xAE426082);
    return Base64.getEncoder().encodeToString(png.array());
  }

  @Test
  void estimatesLogLikelihoods() throws Exception {
    createTenant("tyrell", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("tyrell", null));
    String prefix = "{\"model\":\"" + MODEL + "\",\"context\":\"sort 321:\",";
    HttpResponse<String> r =
        tenant.post(
            "/v1/loglikelihood",
            prefix + "\"continuation\":\"123\",\"mc_num\":16,\"batch_size\":8}");
    assertEquals(200, r.statusCode(), r.body());
    JsonObject estimate = json(r);
    double ll = estimate.getJsonNumber("log_likelihood").doubleValue();
    assertTrue(ll < 0 && Double.isFinite(ll), r.body());
    assertEquals(2, estimate.getInt("nfe"));
    assertEquals(16, estimate.getInt("mc_num"));
    HttpResponse<String> bad =
        tenant.post(
            "/v1/loglikelihood",
            prefix + "\"continuation\":\"123\",\"mc_num\":10,\"batch_size\":4}");
    assertEquals(400, bad.statusCode(), bad.body());
    assertEquals("mc_num", json(bad).getJsonObject("error").getString("param"));
  }

  @Test
  void anIdempotencyKeyReplaysTheFirstAnswerWithoutChargingAgain() throws Exception {
    createTenant("soylent", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("soylent", null));
    String body = chatBody("sort 987:", "\"steps\":4,\"gen_length\":4");
    HttpRequest.Builder request =
        tenant
            .request("/v1/chat/completions")
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "order-42");
    HttpResponse<String> first =
        ApiClient.HTTP.send(
            request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, first.statusCode(), first.body());
    HttpResponse<String> retry =
        ApiClient.HTTP.send(
            request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, retry.statusCode());
    assertEquals(json(first), json(retry));
    assertEquals("true", retry.headers().firstValue("Idempotent-Replayed").orElse(""));
    HttpResponse<String> other =
        ApiClient.HTTP.send(
            request.POST(HttpRequest.BodyPublishers.ofString(chatBody("sort 1:", null))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(422, other.statusCode(), other.body());
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'soylent' AND l.entry = 'RESERVE'"),
        "the replay cost nothing");
  }

  @Test
  void keyLimitsTokenBudgetsAndComputeBudgetsRefuseWithRetryAfter() throws Exception {
    createTenant(
        "oscorp", "{\"tokens_per_day\":20,\"compute_units_per_month\":100000}", "INSTRUCT");
    ApiClient slowKey =
        new ApiClient(createKey("oscorp", "\"limits\":{\"requests_per_minute\":1}"));
    String small = chatBody("sort 12:", "\"steps\":4,\"gen_length\":8");
    assertEquals(200, slowKey.post("/v1/chat/completions", small).statusCode());
    HttpResponse<String> second = slowKey.post("/v1/chat/completions", small);
    assertEquals(429, second.statusCode(), second.body());
    assertTrue(json(second).getJsonObject("error").getString("message").contains("API key"));
    ApiClient key = new ApiClient(createKey("oscorp", null));
    // 20 generated tokens a day: a request that may generate 24 can never be admitted
    HttpResponse<String> tooMany =
        key.post("/v1/chat/completions", chatBody("sort 12:", "\"steps\":4,\"gen_length\":24"));
    assertEquals(429, tooMany.statusCode(), tooMany.body());
    assertEquals("insufficient_quota", json(tooMany).getJsonObject("error").getString("code"));
    long retry = Long.parseLong(tooMany.headers().firstValue("Retry-After").orElseThrow());
    assertTrue(retry > 0 && retry <= 86_400, "until the UTC day ends: " + retry);
    HttpResponse<String> costly =
        key.post("/v1/chat/completions", chatBody("sort 12:", "\"steps\":4096,\"gen_length\":8"));
    assertEquals(429, costly.statusCode(), costly.body());
    assertTrue(
        json(costly).getJsonObject("error").getString("message").contains("compute units"),
        costly.body());
    HttpResponse<String> drift = admin().get("/v1/admin/tenants/oscorp/usage/drift");
    assertTrue(json(drift).getBoolean("consistent"), drift.body());
  }

  @Test
  void bodiesAreLoggedOnlyForTenantsThatOptIn() throws Exception {
    createTenant("vandelay", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("vandelay", null));
    String body = chatBody("sort 77:", "\"steps\":4,\"gen_length\":4");
    String quiet =
        tenant
            .post("/v1/chat/completions", body)
            .headers()
            .firstValue("x-request-id")
            .orElseThrow();
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM request_log WHERE request_body IS NOT NULL AND request_id = '"
                + quiet
                + "'"));
    assertEquals(
        200, admin().patch("/v1/admin/tenants/vandelay", "{\"store_bodies\":true}").statusCode());
    String kept =
        tenant
            .post("/v1/chat/completions", body)
            .headers()
            .firstValue("x-request-id")
            .orElseThrow();
    assertEquals(
        1,
        ItDatabase.queryLong(
            "SELECT count(*) FROM request_log WHERE request_body LIKE '%sort 77:%'"
                + " AND response_body LIKE '%chat.completion%' AND latency_ms >= 0"
                + " AND request_id = '"
                + kept
                + "'"));
  }

  @Test
  void usersAreMappedFromTheIdentityProvidersSubject() throws Exception {
    createTenant("massive", null, "INSTRUCT");
    String user =
        "{\"issuer\":\"http://127.0.0.1:8180/realms/llada\",\"subject\":\"f1b2c3\","
            + "\"email\":\"ada@massive.example\",\"role\":\"OWNER\"}";
    HttpResponse<String> added = admin().post("/v1/admin/tenants/massive/users", user);
    assertEquals(201, added.statusCode(), added.body());
    String id = json(added).getString("id");
    HttpResponse<String> twice = admin().post("/v1/admin/tenants/anvil-users/users", user);
    assertEquals(404, twice.statusCode(), "unknown tenant: " + twice.body());
    createTenant("massive-two", null);
    HttpResponse<String> taken = admin().post("/v1/admin/tenants/massive-two/users", user);
    assertEquals(409, taken.statusCode(), taken.body());
    assertEquals("user_exists", json(taken).getJsonObject("error").getString("code"));
    HttpResponse<String> badRole =
        admin()
            .post(
                "/v1/admin/tenants/massive/users",
                "{\"issuer\":\"i\",\"subject\":\"s\",\"role\":\"KING\"}");
    assertEquals("role", json(badRole).getJsonObject("error").getString("param"));
    assertEquals(
        201,
        admin()
            .post(
                "/v1/admin/tenants/massive/keys",
                "{\"name\":\"ada's\",\"created_by\":\"" + id + "\"}")
            .statusCode());
    HttpResponse<String> foreign =
        admin()
            .post(
                "/v1/admin/tenants/massive-two/keys",
                "{\"name\":\"x\",\"created_by\":\"" + id + "\"}");
    assertEquals(400, foreign.statusCode(), foreign.body());
    assertEquals(
        1, json(admin().get("/v1/admin/tenants/massive/users")).getJsonArray("data").size());
    assertEquals(204, admin().delete("/v1/admin/tenants/massive/users/" + id).statusCode());
    assertEquals(404, admin().delete("/v1/admin/tenants/massive/users/" + id).statusCode());
  }
}

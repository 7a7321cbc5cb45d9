package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/batches} on Payara and PostgreSQL (issue #21 item 2, docs/adr/0020): OpenAI's Batch
 * API over an uploaded file; each request answered once in the output file or refused in the error
 * file as its endpoint would refuse it, and charged once in the ledger; a file with bad lines gives
 * a failed batch naming each line; cancel; expiry (arquillian.xml: batches expire after 45 s);
 * tenant isolation; every bad create a 4xx.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class BatchesIT {

  private static final String MODEL = "llada-tiny-instruct";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  static String line(String customId, String url, String body) {
    return "{\"custom_id\":\""
        + customId
        + "\",\"method\":\"POST\",\"url\":\""
        + url
        + "\",\"body\":"
        + body
        + "}\n";
  }

  static String chat(String content, String knobs) {
    return "{\"model\":\""
        + MODEL
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\""
        + content
        + "\"}],"
        + knobs
        + "}";
  }

  /** Uploads {@code lines} as a batch file; its id. */
  static String upload(ApiClient tenant, String lines) throws Exception {
    HttpResponse<String> r =
        FilesIT.upload(
            tenant, "requests.jsonl", lines.getBytes(StandardCharsets.UTF_8), "purpose", "batch");
    assertEquals(200, r.statusCode(), r.body());
    return json(r).getString("id");
  }

  static JsonObject create(ApiClient tenant, String fileId, String endpoint) throws Exception {
    HttpResponse<String> r =
        tenant.post(
            "/v1/batches",
            "{\"input_file_id\":\""
                + fileId
                + "\",\"endpoint\":\""
                + endpoint
                + "\",\"completion_window\":\"24h\",\"metadata\":{\"job\":\"it\"}}");
    assertEquals(200, r.statusCode(), r.body());
    return json(r);
  }

  /** Polls the batch until it has ended (completed, failed, expired or cancelled). */
  static JsonObject awaitEnd(ApiClient tenant, String id, Duration within) throws Exception {
    long until = System.nanoTime() + within.toNanos();
    while (true) {
      JsonObject b = json(tenant.get("/v1/batches/" + id));
      String status = b.getString("status");
      if (Set.of("completed", "failed", "expired", "cancelled").contains(status)) {
        return b;
      }
      assertTrue(System.nanoTime() < until, "batch " + id + " still " + status + ": " + b);
      Thread.sleep(200);
    }
  }

  static List<JsonObject> lines(ApiClient tenant, String fileId) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (String l :
        new String(FilesIT.download(tenant, fileId), StandardCharsets.UTF_8).split("\n")) {
      if (!l.isEmpty()) {
        out.add(json(l));
      }
    }
    return out;
  }

  @Test
  void aBatchAnswersEachRequestOnceInItsOutputFileAndChargesItOnce() throws Exception {
    createTenant("batch-run", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("batch-run", null));
    String file =
        upload(
            tenant,
            line("a", "/v1/chat/completions", chat("sort 21:", "\"max_tokens\":4,\"steps\":4"))
                + "\n" // blank lines are skipped, lines still counted
                + line(
                    "b",
                    "/v1/chat/completions",
                    chat("sort 312:", "\"max_tokens\":4,\"steps\":4,\"seed\":7"))
                + line("bad", "/v1/chat/completions", chat("sort 1:", "\"steps\":0"))
                + line(
                    "c", "/v1/chat/completions", chat("add 1+2=", "\"max_tokens\":2,\"steps\":2")));
    JsonObject created = create(tenant, file, "/v1/chat/completions");
    String id = created.getString("id");
    assertTrue(id.matches("batch_[0-9a-f]{24}"), id);
    assertEquals("batch", created.getString("object"));
    assertEquals("in_progress", created.getString("status"));
    assertEquals(file, created.getString("input_file_id"));
    assertEquals("24h", created.getString("completion_window"));
    assertEquals(JsonValue.NULL, created.get("errors"));
    assertEquals("it", created.getJsonObject("metadata").getString("job"));
    assertEquals(4, created.getJsonObject("request_counts").getInt("total"));
    assertTrue(
        created.getJsonNumber("expires_at").longValue()
            > created.getJsonNumber("created_at").longValue());

    JsonObject done = awaitEnd(tenant, id, Duration.ofSeconds(120));
    assertEquals("completed", done.getString("status"), done.toString());
    JsonObject counts = done.getJsonObject("request_counts");
    assertEquals(4, counts.getInt("total"));
    assertEquals(3, counts.getInt("completed"));
    assertEquals(1, counts.getInt("failed"));
    assertNotNull(done.get("finalizing_at"));
    assertTrue(done.getJsonNumber("completed_at").longValue() > 0);

    List<JsonObject> output = lines(tenant, done.getString("output_file_id"));
    assertEquals(
        List.of("a", "b", "c"), output.stream().map(o -> o.getString("custom_id")).toList());
    long promptTokens = 0;
    long completionTokens = 0;
    for (JsonObject o : output) {
      assertTrue(o.getString("id").matches("batch_req_[0-9a-f]{32}"), o.toString());
      assertEquals(JsonValue.NULL, o.get("error"));
      JsonObject response = o.getJsonObject("response");
      assertEquals(200, response.getInt("status_code"));
      JsonObject body = response.getJsonObject("body");
      assertEquals("chat.completion", body.getString("object"));
      assertEquals(MODEL, body.getString("model"));
      assertEquals(
          "assistant",
          body.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("role"));
      promptTokens += body.getJsonObject("usage").getInt("prompt_tokens");
      completionTokens += body.getJsonObject("usage").getInt("completion_tokens");
      // one settlement, a success, under the request id the output names
      String requestId = response.getString("request_id");
      assertEquals(
          1,
          ItDatabase.queryLong(
              "SELECT count(*) FROM usage_ledger WHERE entry = 'SETTLE' AND outcome = 'SUCCESS'"
                  + " AND request_id = '"
                  + requestId
                  + "'"));
    }
    assertEquals(promptTokens, done.getJsonObject("usage").getInt("input_tokens"));
    assertEquals(completionTokens, done.getJsonObject("usage").getInt("output_tokens"));
    // the same seed, the same answer: the batch runs requests as the endpoint does
    JsonObject direct =
        json(
            tenant.post(
                "/v1/chat/completions",
                chat("sort 312:", "\"max_tokens\":4,\"steps\":4,\"seed\":7")));
    assertEquals(
        direct
            .getJsonArray("choices")
            .getJsonObject(0)
            .getJsonObject("message")
            .getString("content"),
        output
            .get(1)
            .getJsonObject("response")
            .getJsonObject("body")
            .getJsonArray("choices")
            .getJsonObject(0)
            .getJsonObject("message")
            .getString("content"));

    List<JsonObject> errors = lines(tenant, done.getString("error_file_id"));
    assertEquals(1, errors.size());
    assertEquals("bad", errors.get(0).getString("custom_id"));
    JsonObject refused = errors.get(0).getJsonObject("response");
    assertEquals(400, refused.getInt("status_code"));
    assertEquals("steps", refused.getJsonObject("body").getJsonObject("error").getString("param"));
    // the files are the tenant's, of purpose batch_output
    JsonObject outFile = json(tenant.get("/v1/files/" + done.getString("output_file_id")));
    assertEquals("batch_output", outFile.getString("purpose"));
    assertEquals(id + "_output.jsonl", outFile.getString("filename"));
    assertEquals(2, json(tenant.get("/v1/files?purpose=batch_output")).getJsonArray("data").size());
    // nothing left open; the tenant's books balance
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'batch-run'"));
    assertTrue(
        json(ApiClient.admin().get("/v1/admin/tenants/batch-run/usage/drift"))
            .getBoolean("consistent"));
  }

  @Test
  void aFileWithBadLinesGivesAFailedBatchNamingEachLine() throws Exception {
    createTenant("batch-bad", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("batch-bad", null));
    String ok = chat("sort 1:", "\"max_tokens\":2");
    String file =
        upload(
            tenant,
            line("a", "/v1/chat/completions", ok)
                + line("a", "/v1/chat/completions", ok) // 2: a custom_id used before
                + line("b", "/v1/completions", ok) // 3: another endpoint
                + "{\"custom_id\":\"c\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
                + "{\"custom_id\":\"d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + ok
                + ",\"extra\":1}\n" // 5: a field OpenAI's lines do not have
                + line("e", "/v1/chat/completions", chat("x", "\"stream\":true")) // 6
                + line("f", "/v1/chat/completions", "{\"messages\":[]}") // 7: no model
                + "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"); // 8
    JsonObject b = create(tenant, file, "/v1/chat/completions");
    assertEquals("failed", b.getString("status"), b.toString());
    assertTrue(b.getJsonNumber("failed_at").longValue() > 0);
    assertEquals(0, b.getJsonObject("request_counts").getInt("total"));
    List<Integer> lines = new ArrayList<>();
    for (JsonValue e : b.getJsonObject("errors").getJsonArray("data")) {
      lines.add(e.asJsonObject().getInt("line"));
      assertTrue(e.asJsonObject().getString("message").startsWith("Line "), e.toString());
    }
    assertEquals(List.of(2, 3, 4, 5, 6, 7, 8), lines);
    assertEquals(b, json(tenant.get("/v1/batches/" + b.getString("id"))));
  }

  @Test
  void badCreatesAreRefusedWithTheFieldNamed() throws Exception {
    createTenant("batch-refuse", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("batch-refuse", null));
    String file =
        upload(tenant, line("a", "/v1/chat/completions", chat("sort 1:", "\"max_tokens\":2")));
    HttpResponse<String> other =
        FilesIT.upload(
            tenant, "notes.txt", "x".getBytes(StandardCharsets.UTF_8), "purpose", "user_data");
    String notes = json(other).getString("id");
    String[][] cases = {
      {
        "{\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
        "400",
        "input_file_id"
      },
      {"{\"input_file_id\":\"" + file + "\",\"completion_window\":\"24h\"}", "400", "endpoint"},
      {
        "{\"input_file_id\":\""
            + file
            + "\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\"}",
        "400",
        "endpoint"
      },
      {
        "{\"input_file_id\":\""
            + file
            + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}",
        "400",
        "completion_window"
      },
      {
        "{\"input_file_id\":\""
            + file
            + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"priority\":1}",
        "400",
        "priority"
      },
      {
        "{\"input_file_id\":\""
            + file
            + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"k\":1}}",
        "400",
        "metadata"
      },
      {
        "{\"input_file_id\":\""
            + file
            + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":[]}",
        "400",
        "metadata"
      },
      {
        "{\"input_file_id\":7,\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
        "400",
        "input_file_id"
      },
      {
        "{\"input_file_id\":\"file-000000000000000000000000\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
        "404",
        "input_file_id"
      },
      {
        "{\"input_file_id\":\""
            + notes
            + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}",
        "400",
        "input_file_id"
      },
    };
    for (String[] c : cases) {
      HttpResponse<String> r = tenant.post("/v1/batches", c[0]);
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " → " + r.body());
      assertEquals(c[2], json(r).getJsonObject("error").getString("param"), r.body());
    }
    HttpResponse<String> master =
        ApiClient.admin()
            .post(
                "/v1/batches",
                "{\"input_file_id\":\""
                    + file
                    + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
    assertEquals(400, master.statusCode(), master.body());
    assertEquals("tenant_required", FilesIT.code(master));
    assertEquals(400, tenant.get("/v1/batches?limit=0").statusCode());
    assertEquals(400, tenant.get("/v1/batches?limit=x").statusCode());
    assertEquals(400, tenant.get("/v1/batches?after=batch_000000000000000000000000").statusCode());
    assertEquals(0, json(tenant.get("/v1/batches")).getJsonArray("data").size(), "nothing created");
  }

  @Test
  void batchesAreTheirTenantsAndPageNewestFirst() throws Exception {
    createTenant("batch-own", null, "INSTRUCT");
    createTenant("batch-other", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("batch-own", null));
    ApiClient b = new ApiClient(createKey("batch-other", null));
    String file =
        upload(
            a,
            line(
                "x",
                "/v1/completions",
                "{\"model\":\""
                    + MODEL
                    + "\",\"prompt\":\"sort 1:\",\"max_tokens\":2,\"steps\":2}"));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(create(a, file, "/v1/completions").getString("id"));
    }
    JsonObject first = json(a.get("/v1/batches?limit=2"));
    assertEquals(
        List.of(ids.get(2), ids.get(1)),
        first.getJsonArray("data").stream().map(v -> v.asJsonObject().getString("id")).toList());
    assertTrue(first.getBoolean("has_more"));
    JsonObject rest = json(a.get("/v1/batches?limit=2&after=" + first.getString("last_id")));
    assertEquals(
        List.of(ids.get(0)),
        rest.getJsonArray("data").stream().map(v -> v.asJsonObject().getString("id")).toList());
    assertEquals(false, rest.getBoolean("has_more"));
    // another tenant sees none of them and touches none
    assertEquals(0, json(b.get("/v1/batches")).getJsonArray("data").size());
    for (String id : ids) {
      HttpResponse<String> get = b.get("/v1/batches/" + id);
      assertEquals(404, get.statusCode(), get.body());
      assertEquals("batch_not_found", FilesIT.code(get));
      assertEquals(404, b.post("/v1/batches/" + id + "/cancel", "").statusCode());
      assertEquals(400, b.get("/v1/batches?after=" + id).statusCode());
    }
    HttpResponse<String> foreign =
        b.post(
            "/v1/batches",
            "{\"input_file_id\":\""
                + file
                + "\",\"endpoint\":\"/v1/completions\",\"completion_window\":\"24h\"}");
    assertEquals(404, foreign.statusCode(), "another tenant's file is none: " + foreign.body());
    for (String id : ids) {
      assertEquals("completed", awaitEnd(a, id, Duration.ofSeconds(120)).getString("status"));
    }
  }

  @Test
  void aCancelledBatchStopsAndKeepsWhatWasAnswered() throws Exception {
    createTenant("batch-cancel", "{\"max_concurrent\":1}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("batch-cancel", null));
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      lines.append(
          line(
              "r" + i,
              "/v1/chat/completions",
              chat("sort 4321:", "\"max_tokens\":64,\"steps\":64")));
    }
    String id =
        create(tenant, upload(tenant, lines.toString()), "/v1/chat/completions").getString("id");
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (json(tenant.get("/v1/batches/" + id)).getJsonObject("request_counts").getInt("completed")
        < 1) {
      assertTrue(System.nanoTime() < until, "a first request was answered");
      Thread.sleep(100);
    }
    HttpResponse<String> cancel = tenant.post("/v1/batches/" + id + "/cancel", "");
    assertEquals(200, cancel.statusCode(), cancel.body());
    assertTrue(Set.of("cancelling", "cancelled").contains(json(cancel).getString("status")));
    JsonObject done = awaitEnd(tenant, id, Duration.ofSeconds(60));
    assertEquals("cancelled", done.getString("status"), done.toString());
    assertTrue(done.getJsonNumber("cancelled_at").longValue() > 0);
    List<JsonObject> output = lines(tenant, done.getString("output_file_id"));
    List<JsonObject> errors = lines(tenant, done.getString("error_file_id"));
    assertEquals(12, output.size() + errors.size(), "every request once");
    Set<String> seen = new HashSet<>();
    output.forEach(o -> assertTrue(seen.add(o.getString("custom_id"))));
    errors.forEach(o -> assertTrue(seen.add(o.getString("custom_id"))));
    for (JsonObject e : errors) { // not run, or stopped by the cancel: nothing else
      if (e.get("response") != JsonValue.NULL) {
        assertEquals(409, e.getJsonObject("response").getInt("status_code"), e.toString());
      }
    }
    assertTrue(
        errors.stream()
            .anyMatch(
                e ->
                    e.get("response") == JsonValue.NULL
                        && e.getJsonObject("error").getString("code").equals("batch_cancelled")),
        errors.toString());
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'batch-cancel'"));
    // once ended, a cancel is refused; again cancelling a cancelled one answers it as it is
    assertEquals(200, tenant.post("/v1/batches/" + id + "/cancel", "").statusCode());
    String small =
        create(
                tenant,
                upload(
                    tenant,
                    line(
                        "s",
                        "/v1/chat/completions",
                        chat("sort 1:", "\"max_tokens\":2,\"steps\":2"))),
                "/v1/chat/completions")
            .getString("id");
    assertEquals("completed", awaitEnd(tenant, small, Duration.ofSeconds(60)).getString("status"));
    HttpResponse<String> late = tenant.post("/v1/batches/" + small + "/cancel", "");
    assertEquals(409, late.statusCode(), late.body());
    assertEquals("batch_not_cancellable", FilesIT.code(late));
  }

  @Test
  void aRateLimitedBatchWaitsAndExpiresWhatItCouldNotRun() throws Exception {
    createTenant("batch-slow", "{\"requests_per_minute\":1}", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("batch-slow", null));
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      lines.append(
          line("r" + i, "/v1/chat/completions", chat("sort 1:", "\"max_tokens\":2,\"steps\":2")));
    }
    String id =
        create(tenant, upload(tenant, lines.toString()), "/v1/chat/completions").getString("id");
    JsonObject done = awaitEnd(tenant, id, Duration.ofSeconds(120));
    assertEquals("expired", done.getString("status"), done.toString());
    assertTrue(done.getJsonNumber("expired_at").longValue() > 0);
    // one a minute: the first, and a second if a new minute began before the expiry
    int completed = done.getJsonObject("request_counts").getInt("completed");
    assertTrue(completed == 1 || completed == 2, done.toString());
    List<JsonObject> errors = lines(tenant, done.getString("error_file_id"));
    assertEquals(3 - completed, errors.size());
    for (JsonObject e : errors) {
      assertEquals("batch_expired", e.getJsonObject("error").getString("code"));
    }
    // refused attempts are not charged: one settlement with usage, for the one answered
    assertEquals(
        completed,
        ItDatabase.queryLong(
            "SELECT count(*) FROM usage_ledger l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'batch-slow' AND l.entry = 'SETTLE' AND l.compute_units > 0"));
    assertTrue(
        json(ApiClient.admin().get("/v1/admin/tenants/batch-slow/usage/drift"))
            .getBoolean("consistent"));
  }
}

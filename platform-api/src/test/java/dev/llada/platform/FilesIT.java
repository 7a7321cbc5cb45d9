package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /v1/files} on Payara and PostgreSQL (ARCHITECTURE.md, "Files"): upload, list, retrieve,
 * content and delete as OpenAI's API has them; contents content-addressed in 1 MiB chunks within a
 * tenant, gone with their last file, never shared across tenants; tenant isolation; every bad
 * upload a 4xx that stores nothing; the caps (arquillian.xml: 8 MiB a file, 20 MiB a tenant)
 * enforced while streaming; Idempotency-Key; a deleted tenant's files purged.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class FilesIT {

  private static final String BATCH =
      "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
          + "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
          + "\n";

  private static final long STARTED = System.currentTimeMillis();

  /**
   * Every temporary file an upload made (the idempotency spool, the service's copy, the multipart
   * reader's part buffers) is gone once the answers are in.
   */
  @org.junit.jupiter.api.AfterAll
  static void noTemporaryFileIsLeftBehind() throws Exception {
    java.nio.file.Path dir = java.nio.file.Path.of(System.getProperty("it.tmpdir", "target"));
    java.util.List<String> left = java.util.List.of();
    for (int i = 0; i < 50; i++) {
      try (var files = java.nio.file.Files.list(dir)) {
        left =
            files
                .filter(
                    p -> {
                      String n = p.getFileName().toString();
                      return n.startsWith("llada-") && n.endsWith(".part")
                          || n.startsWith("MIME") && n.endsWith(".tmp");
                    })
                .filter(p -> p.toFile().lastModified() >= STARTED - 1000)
                .map(p -> p.getFileName().toString())
                .toList();
      }
      if (left.isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("temporary files left in " + dir + ": " + left);
  }

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  /** A multipart/form-data upload of {@code content} as {@code filename}, and other parts. */
  static HttpResponse<String> upload(
      ApiClient caller, String filename, byte[] content, String... fields) throws Exception {
    return uploadWithKey(caller, null, filename, content, fields);
  }

  /** A multipart/form-data body and its content type. */
  record Form(byte[] bytes, String contentType) {}

  static Form form(String filename, byte[] content, String... fields) {
    String boundary = "----llada-it-" + Long.toHexString(new Random().nextLong());
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i = 0; i + 1 < fields.length; i += 2) {
      body.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + fields[i]
                  + "\"\r\n\r\n"
                  + fields[i + 1]
                  + "\r\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    if (content != null) {
      body.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                  + filename
                  + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      body.writeBytes(content);
      body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return new Form(body.toByteArray(), "multipart/form-data; boundary=" + boundary);
  }

  static HttpResponse<String> uploadWithKey(
      ApiClient caller, String idempotencyKey, String filename, byte[] content, String... fields)
      throws Exception {
    Form f = form(filename, content, fields);
    HttpRequest.Builder b =
        caller
            .request("/v1/files")
            .header("Content-Type", f.contentType())
            .POST(HttpRequest.BodyPublishers.ofByteArray(f.bytes()));
    if (idempotencyKey != null) {
      b.header("Idempotency-Key", idempotencyKey);
    }
    return ApiClient.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A POST to /v1/files of {@code body} as it is, under {@code contentType}. */
  static HttpResponse<String> raw(ApiClient caller, String contentType, String body)
      throws Exception {
    return ApiClient.HTTP.send(
        caller
            .request("/v1/files")
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static byte[] download(ApiClient caller, String id) throws Exception {
    HttpResponse<byte[]> r =
        ApiClient.HTTP.send(
            caller.request("/v1/files/" + id + "/content").GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    assertEquals(
        String.valueOf(r.body().length), r.headers().firstValue("Content-Length").orElse(""));
    return r.body();
  }

  static String sha256(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static String code(HttpResponse<String> r) {
    return json(r).getJsonObject("error").getString("code");
  }

  static long count(String sql) throws Exception {
    return ItDatabase.queryLong(sql);
  }

  @Test
  void uploadListRetrieveDownloadAndDeleteAsOpenAiDoes() throws Exception {
    createTenant("files-life", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-life", null));
    byte[] content = BATCH.getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> up = upload(tenant, "requests.jsonl", content, "purpose", "batch");
    assertEquals(200, up.statusCode(), up.body());
    JsonObject file = json(up);
    String id = file.getString("id");
    assertTrue(id.matches("file-[0-9a-f]{24}"), id);
    assertEquals("file", file.getString("object"));
    assertEquals(content.length, file.getInt("bytes"));
    assertEquals("requests.jsonl", file.getString("filename"));
    assertEquals("batch", file.getString("purpose"));
    assertEquals(sha256(content), file.getString("sha256"));
    assertTrue(file.getJsonNumber("created_at").longValue() > 1_700_000_000L);

    JsonObject list = json(tenant.get("/v1/files"));
    assertEquals("list", list.getString("object"));
    assertEquals(1, list.getJsonArray("data").size());
    assertEquals(id, list.getString("first_id"));
    assertEquals(id, list.getString("last_id"));
    assertEquals(false, list.getBoolean("has_more"));
    assertEquals(file, json(tenant.get("/v1/files/" + id)));
    assertArrayEquals(content, download(tenant, id));

    HttpResponse<String> deleted = tenant.delete("/v1/files/" + id);
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals(true, json(deleted).getBoolean("deleted"));
    HttpResponse<String> gone = tenant.get("/v1/files/" + id);
    assertEquals(404, gone.statusCode());
    assertEquals("file_not_found", code(gone));
    assertEquals(
        "No such File object: " + id, json(gone).getJsonObject("error").getString("message"));
    assertEquals(404, tenant.get("/v1/files/" + id + "/content").statusCode());
    assertEquals(404, tenant.delete("/v1/files/" + id).statusCode());
    assertEquals(0, json(tenant.get("/v1/files")).getJsonArray("data").size());
  }

  @Test
  void contentsAreContentAddressedInChunksWithinATenantAndFreedWithTheLastFile() throws Exception {
    createTenant("files-share-a", null, "INSTRUCT");
    createTenant("files-share-b", null, "INSTRUCT");
    ApiClient a = new ApiClient(createKey("files-share-a", null));
    ApiClient b = new ApiClient(createKey("files-share-b", null));
    byte[] data = new byte[6 * 1024 * 1024 + 17]; // seven chunks, the last one short
    new Random(7).nextBytes(data);
    String sha = sha256(data);
    String first = json(upload(a, "weights.bin", data, "purpose", "user_data")).getString("id");
    String again = json(upload(a, "copy.bin", data, "purpose", "user_data")).getString("id");
    String other = json(upload(b, "same.bin", data, "purpose", "user_data")).getString("id");
    assertNotEquals(first, again);
    String blobs = "SELECT count(*) FROM file_blob WHERE sha256 = '" + sha + "'";
    String chunks = "SELECT count(*) FROM file_chunk WHERE sha256 = '" + sha + "'";
    // one blob for a's two files; b's copy is b's own (no tenant learns what another holds)
    assertEquals(2, count(blobs));
    assertEquals(14, count(chunks));
    assertArrayEquals(data, download(a, first));
    assertArrayEquals(data, download(b, other));
    // isolation: b sees nothing of a's file, as if it did not exist
    assertEquals(404, b.get("/v1/files/" + first).statusCode());
    assertEquals(404, b.get("/v1/files/" + first + "/content").statusCode());
    assertEquals(404, b.delete("/v1/files/" + first).statusCode());
    assertEquals(1, json(b.get("/v1/files")).getJsonArray("data").size());
    assertEquals(200, a.delete("/v1/files/" + first).statusCode());
    assertEquals(2, count(blobs), "a's other file still holds the content");
    assertArrayEquals(data, download(a, again));
    assertEquals(200, a.delete("/v1/files/" + again).statusCode());
    assertEquals(1, count(blobs));
    assertEquals(7, count(chunks));
    assertEquals(200, b.delete("/v1/files/" + other).statusCode());
    assertEquals(0, count(blobs));
    assertEquals(0, count(chunks));
  }

  @Test
  void theSdksAcceptHeadersGetTheBytes() throws Exception {
    createTenant("files-accept", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-accept", null));
    byte[] content = "{\"k\":1}\n".getBytes(StandardCharsets.UTF_8);
    String id = json(upload(tenant, "a*b ü.jsonl", content, "purpose", "batch")).getString("id");
    for (String accept : new String[] {"application/binary", "*/*", "application/octet-stream"}) {
      HttpResponse<byte[]> r =
          ApiClient.HTTP.send(
              tenant.request("/v1/files/" + id + "/content").header("Accept", accept).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, r.statusCode(), accept);
      assertArrayEquals(content, r.body(), accept);
      assertEquals(
          "attachment; filename=\"a*b _.jsonl\"; filename*=UTF-8''a%2Ab%20%C3%BC.jsonl",
          r.headers().firstValue("Content-Disposition").orElse(""));
    }
  }

  @Test
  void everyBadUploadIsRefusedWithA4xxAndStoresNothing() throws Exception {
    createTenant("files-bad", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-bad", null));
    byte[] ok = BATCH.getBytes(StandardCharsets.UTF_8);
    Object[][] cases = {
      {upload(tenant, "r.jsonl", ok), 400, "missing_purpose"},
      {upload(tenant, "r.jsonl", ok, "purpose", "assistants"), 400, "invalid_purpose"},
      {upload(tenant, null, null, "purpose", "batch"), 400, "missing_file"},
      {upload(tenant, "r.txt", ok, "purpose", "batch"), 400, "invalid_file_format"},
      {
        upload(tenant, "r.jsonl", "{\"a\":1}\n[1,2]\n".getBytes(), "purpose", "batch"),
        400,
        "invalid_file_format"
      },
      {
        upload(tenant, "r.jsonl", "{\"a\":\n".getBytes(), "purpose", "fine-tune"),
        400,
        "invalid_file_format"
      },
      {
        upload(
            tenant,
            "r.jsonl",
            new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'},
            "purpose",
            "batch"),
        400,
        "invalid_file_format"
      },
      {
        upload(tenant, "r.jsonl", "\n\n".getBytes(), "purpose", "batch"), 400, "invalid_file_format"
      },
      {upload(tenant, "empty.bin", new byte[0], "purpose", "user_data"), 400, "empty_file"},
      {
        upload(tenant, "r.jsonl", ok, "purpose", "batch", "expires_after", "3600"),
        400,
        "unsupported_parameter"
      },
      {
        upload(tenant, "r.jsonl", ok, "purpose", "batch", "purpose", "batch"),
        400,
        "invalid_request"
      },
      {upload(tenant, "bad\u0001name.bin", ok, "purpose", "user_data"), 400, "invalid_filename"},
      {tenant.post("/v1/files", "{\"purpose\":\"batch\"}"), 415, "unsupported_media_type"},
      {
        raw(tenant, "multipart/form-data; boundary=" + "b".repeat(71), "--x--\r\n"),
        400,
        "invalid_multipart"
      },
      {
        raw(
            tenant,
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nX-Other: 1\r\n\r\nbatch\r\n--xyz--\r\n"),
        400,
        "invalid_multipart"
      },
      {
        upload(
            tenant, "r.jsonl", ok, "purpose", "batch", "a", "1", "b", "2", "c", "3", "d", "4", "e",
            "5", "f", "6", "g", "7", "h", "8"),
        400,
        "invalid_multipart"
      },
    };
    for (int i = 0; i < cases.length; i++) {
      @SuppressWarnings("unchecked")
      HttpResponse<String> r = (HttpResponse<String>) cases[i][0];
      assertEquals(cases[i][1], r.statusCode(), "case " + i + ": " + r.body());
      assertEquals(cases[i][2], code(r), "case " + i + ": " + r.body());
    }
    // over the 8 MiB cap, sized or chunked: refused as it streams in, the connection closed
    Form big = form("big.bin", new byte[9 * 1024 * 1024], "purpose", "user_data");
    for (boolean chunked : new boolean[] {false, true}) {
      java.util.List<String[]> headers =
          java.util.List.of(
              new String[] {"Authorization", "Bearer " + tenant.key()},
              new String[] {"Content-Type", big.contentType()});
      RawHttp.Response r =
          RawHttp.send(
              new RawHttp.Request("POST", "/v1/files", headers, big.bytes(), chunked, null),
              60_000);
      assertEquals(413, r.status(), "chunked " + chunked);
      assertEquals(
          "request_too_large",
          json(new String(r.body(), StandardCharsets.UTF_8))
              .getJsonObject("error")
              .getString("code"));
    }
    HttpResponse<String> line =
        upload(tenant, "r.jsonl", "{\"a\":1}\n[1,2]\n".getBytes(), "purpose", "batch");
    assertTrue(
        json(line).getJsonObject("error").getString("message").startsWith("Line 2 of the file"),
        line.body());
    assertEquals(0, json(tenant.get("/v1/files")).getJsonArray("data").size());
    assertEquals(
        0,
        count(
            "SELECT count(*) FROM tenant_file f JOIN tenant t ON t.id = f.tenant_id WHERE"
                + " t.slug = 'files-bad'"));
    // the tenant's storage limit (20 MiB here): two 8 MiB files fit, a third does not
    byte[] eight = new byte[8 * 1024 * 1024 - 100];
    for (int i = 0; i < 3; i++) {
      eight[0] = (byte) i; // three distinct contents
      HttpResponse<String> r = upload(tenant, "part" + i + ".bin", eight, "purpose", "user_data");
      assertEquals(i < 2 ? 200 : 400, r.statusCode(), r.body());
      if (i == 2) {
        assertEquals("storage_limit_exceeded", code(r));
      }
    }
    assertEquals(2, json(tenant.get("/v1/files")).getJsonArray("data").size());
  }

  /**
   * Uploads under fuzz: 200 seeded mutations of a valid multipart upload — the framing's bytes
   * flipped, cut and repeated, headers and boundaries garbled, parts renamed, the purpose and the
   * content randomised — get only 200s and 4xx envelopes, never a 5xx; only the 200s stored a file,
   * and the platform keeps serving.
   */
  @Test
  void aFuzzOfUploadsGetsOnly200sAnd4xxsAndStoresOnlyWhatItAccepted() throws Exception {
    createTenant("files-fuzz", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-fuzz", null));
    Random r = new Random(20261204L);
    String[] purposes = {
      "batch", "fine-tune", "user_data", "assistants", "", "BATCH", "batch\u0000"
    };
    String[] names = {"r.jsonl", "r.txt", "../../etc/passwd", "a\"b.jsonl", "", "x.jsonl;.exe"};
    int accepted = 0;
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      byte[] content =
          r.nextInt(3) == 0
              ? BATCH.getBytes(StandardCharsets.UTF_8)
              : randomBytes(r, r.nextInt(3000));
      Form f =
          form(
              names[r.nextInt(names.length)],
              content,
              "purpose",
              purposes[r.nextInt(purposes.length)]);
      byte[] body = f.bytes().clone();
      String type = f.contentType();
      switch (r.nextInt(6)) {
        case 0 -> { // bytes of the framing flipped
          for (int k = 0, n = 1 + r.nextInt(6); k < n; k++) {
            body[r.nextInt(body.length)] ^= (byte) (1 + r.nextInt(255));
          }
        }
        case 1 -> body = java.util.Arrays.copyOf(body, r.nextInt(body.length)); // cut short
        case 2 -> type = "multipart/form-data; boundary=" + randomBoundary(r); // another boundary
        case 3 ->
            type =
                new String[] {
                      "multipart/form-data",
                      "multipart/mixed; boundary=x",
                      "text/plain",
                      "multipart/form-data; boundary=\"\""
                    }
                    [r.nextInt(4)];
        case 4 -> { // the body twice
          byte[] twice = java.util.Arrays.copyOf(body, 2 * body.length);
          System.arraycopy(body, 0, twice, body.length, body.length);
          body = twice;
        }
        default -> {} // as formed
      }
      HttpResponse<String> a =
          ApiClient.HTTP.send(
              tenant
                  .request("/v1/files")
                  .header("Content-Type", type)
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (a.statusCode() >= 500) {
        wrong.add(i + ": " + a.statusCode() + " " + a.body());
      } else if (a.statusCode() >= 400) {
        try {
          code(a);
        } catch (RuntimeException notAnEnvelope) {
          wrong.add(
              i
                  + ": not an OpenAI error body: "
                  + a.statusCode()
                  + " "
                  + a.body()
                  + " ("
                  + type
                  + ", "
                  + body.length
                  + " bytes)");
        }
      } else {
        accepted++;
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertTrue(accepted > 0, "some uploads are valid");
    assertEquals(accepted, json(tenant.get("/v1/files")).getJsonArray("data").size());
  }

  private static byte[] randomBytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  private static String randomBoundary(Random r) {
    StringBuilder s = new StringBuilder();
    for (int i = 0, n = r.nextInt(90); i < n; i++) {
      s.append((char) (0x20 + r.nextInt(0x5f)));
    }
    return s.toString();
  }

  /** One row of a preference dataset (purpose fine-tune). */
  static String pair(String prompt) {
    return "{\"prompt\":\"" + prompt + "\",\"chosen\":\"yes\",\"rejected\":\"no\"}\n";
  }

  @Test
  void aPreferenceFileIsCheckedAsItIsUploadedEachFaultNamedByItsLine() throws Exception {
    createTenant("files-pairs", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-pairs", null));
    String good =
        pair("sort 21:")
            + "\n" // blank lines are skipped but counted
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"add 1+2=\"}],"
            + "\"chosen\":\"3\",\"rejected\":\"4\",\"note\":\"other fields are kept\"}\n";
    HttpResponse<String> ok =
        upload(
            tenant, "pairs.jsonl", good.getBytes(StandardCharsets.UTF_8), "purpose", "fine-tune");
    assertEquals(200, ok.statusCode(), ok.body());
    String bad =
        pair("fine")
            + "{\"prompt\":\"p\",\"rejected\":\"no\"}\n"
            + "{\"prompt\":\"p\",\"chosen\":\"same\",\"rejected\":\"same\"}\n"
            + "\n"
            + "{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
            + "{\"role\":\"assistant\",\"content\":\"a\"}],\"chosen\":\"x\",\"rejected\":\"y\"}\n";
    HttpResponse<String> refused =
        upload(tenant, "bad.jsonl", bad.getBytes(StandardCharsets.UTF_8), "purpose", "fine-tune");
    assertEquals(400, refused.statusCode(), refused.body());
    assertEquals("invalid_file_format", code(refused));
    String message = json(refused).getJsonObject("error").getString("message");
    assertTrue(message.contains("line 2: field 'chosen': missing"), message);
    assertTrue(message.contains("line 3: field 'rejected': is the same as chosen"), message);
    assertTrue(message.contains("line 5: field 'messages': must end with a user turn"), message);
    assertTrue(!message.contains("line 1:"), message);
    // nothing stored of the refused file; the same rows as batch input are only JSON Lines
    assertEquals(1, json(tenant.get("/v1/files?purpose=fine-tune")).getJsonArray("data").size());
    assertEquals(
        200,
        upload(tenant, "bad.jsonl", bad.getBytes(StandardCharsets.UTF_8), "purpose", "user_data")
            .statusCode());
  }

  @Test
  void listsPageByCursorInEitherOrderAndFilterByPurpose() throws Exception {
    createTenant("files-page", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-page", null));
    String[] ids = new String[3];
    for (int i = 0; i < 3; i++) {
      String purpose = i == 1 ? "user_data" : "fine-tune";
      byte[] content = pair("n" + i).getBytes(StandardCharsets.UTF_8);
      ids[i] =
          json(upload(tenant, "f" + i + ".jsonl", content, "purpose", purpose)).getString("id");
    }
    JsonObject newest = json(tenant.get("/v1/files?limit=2"));
    assertEquals(2, newest.getJsonArray("data").size());
    assertEquals(ids[2], newest.getString("first_id"));
    assertEquals(ids[1], newest.getString("last_id"));
    assertEquals(true, newest.getBoolean("has_more"));
    JsonObject rest = json(tenant.get("/v1/files?limit=2&after=" + ids[1]));
    assertEquals(ids[0], rest.getString("first_id"));
    assertEquals(false, rest.getBoolean("has_more"));
    JsonObject oldest = json(tenant.get("/v1/files?order=asc"));
    assertEquals(ids[0], oldest.getString("first_id"));
    assertEquals(ids[2], oldest.getString("last_id"));
    JsonObject tuning = json(tenant.get("/v1/files?purpose=fine-tune"));
    assertEquals(2, tuning.getJsonArray("data").size());
    for (String bad :
        new String[] {
          "limit=0", "limit=10001", "limit=x", "order=up", "purpose=x", "after=file-0"
        }) {
      HttpResponse<String> r = tenant.get("/v1/files?" + bad);
      assertEquals(400, r.statusCode(), bad + ": " + r.body());
    }
  }

  @Test
  void accessIsTheTenantsOwnAndNeedsTheFilesScope() throws Exception {
    createTenant("files-scope", null, "INSTRUCT");
    ApiClient inferenceOnly =
        new ApiClient(createKey("files-scope", "\"scopes\":[\"inference\",\"models:read\"]"));
    HttpResponse<String> refused =
        upload(inferenceOnly, "r.jsonl", BATCH.getBytes(), "purpose", "batch");
    assertEquals(403, refused.statusCode(), refused.body());
    assertEquals(403, inferenceOnly.get("/v1/files").statusCode());
    HttpResponse<String> master = ApiClient.admin().get("/v1/files");
    assertEquals(400, master.statusCode(), master.body());
    assertEquals("tenant_required", code(master));
  }

  @Test
  void anIdempotentRetryOfAnUploadGetsTheSameFile() throws Exception {
    createTenant("files-idem", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-idem", null));
    byte[] content = BATCH.getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> first =
        uploadWithKey(tenant, "up-1", "r.jsonl", content, "purpose", "batch");
    HttpResponse<String> again =
        uploadWithKey(tenant, "up-1", "r.jsonl", content, "purpose", "batch");
    assertEquals(200, again.statusCode(), again.body());
    assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(""));
    assertEquals(json(first).getString("id"), json(again).getString("id"));
    assertEquals(1, json(tenant.get("/v1/files")).getJsonArray("data").size());
    HttpResponse<String> other =
        uploadWithKey(tenant, "up-1", "r.jsonl", "{\"x\":1}\n".getBytes(), "purpose", "batch");
    assertEquals(422, other.statusCode(), other.body());
  }

  @Test
  void aDeletedTenantsFilesArePurged() throws Exception {
    createTenant("files-gone", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("files-gone", null));
    byte[] content = pair("only files-gone").getBytes(StandardCharsets.UTF_8);
    assertEquals(200, upload(tenant, "d.jsonl", content, "purpose", "fine-tune").statusCode());
    String sha = sha256(content);
    assertEquals(1, count("SELECT count(*) FROM file_blob WHERE sha256 = '" + sha + "'"));
    JsonObject export = json(ApiClient.admin().get("/v1/admin/tenants/files-gone/export"));
    assertEquals(1, export.getJsonArray("files").size(), export.toString());
    assertEquals(sha, export.getJsonArray("files").getJsonObject(0).getString("sha256"));
    HttpResponse<String> deleted = ApiClient.admin().delete("/v1/admin/tenants/files-gone");
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals(
        0,
        count(
            "SELECT count(*) FROM tenant_file f JOIN tenant t ON t.id = f.tenant_id WHERE"
                + " t.slug = 'files-gone'"));
    assertEquals(0, count("SELECT count(*) FROM file_blob WHERE sha256 = '" + sha + "'"));
  }
}

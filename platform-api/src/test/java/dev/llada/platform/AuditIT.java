package dev.llada.platform;

import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The audit log (issue #17 item 4): every management mutation that took effect, who made it (the
 * master key, a signed-in user), before and after with secrets redacted, append-only, read with
 * filters and paging by platform admins and by a tenant-admin for its own tenant only.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class AuditIT {

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static JsonArray entries(ApiClient caller, String path) throws Exception {
    HttpResponse<String> r = caller.get(path);
    assertEquals(200, r.statusCode(), r.body());
    return json(r).getJsonArray("data");
  }

  @Test
  void mutationsAreRecordedWithWhoBeforeAfterAndNoSecret() throws Exception {
    ApiClient master = ApiClient.admin();
    createTenant("audit-a", null, "INSTRUCT");
    createTenant("audit-b", null, "INSTRUCT");
    ApiClient alice =
        new ApiClient(ItTokens.token("alice-audit", List.of("tenant-admin"), "audit-a"));
    HttpResponse<String> key = alice.post("/v1/admin/tenants/audit-a/keys", "{\"name\":\"ci\"}");
    assertEquals(201, key.statusCode(), key.body());
    String secret = json(key).getString("secret");
    String keyId = json(key).getString("id");
    assertEquals(200, alice.delete("/v1/admin/tenants/audit-a/keys/" + keyId).statusCode());
    assertEquals(
        200,
        master
            .patch("/v1/admin/tenants/audit-a", "{\"limits\":{\"requests_per_minute\":7}}")
            .statusCode());
    // refused and failed attempts change nothing and are not mutations
    assertEquals(
        400, master.patch("/v1/admin/tenants/audit-a", "{\"queue_weight\":0}").statusCode());
    assertEquals(403, alice.post("/v1/admin/tenants", "{\"slug\":\"audit-c\"}").statusCode());

    JsonArray log = entries(master, "/v1/admin/audit?tenant=audit-a");
    List<String> actions = log.stream().map(v -> v.asJsonObject().getString("action")).toList();
    assertEquals(
        List.of(
            "POST /v1/admin/tenants",
            "POST /v1/admin/tenants/{slug}/keys",
            "DELETE /v1/admin/tenants/{slug}/keys/{id}",
            "PATCH /v1/admin/tenants/{slug}"),
        actions);
    JsonObject created = log.getJsonObject(0);
    assertEquals("master", created.getString("actor"));
    assertEquals("audit-a", created.getJsonObject("after").getString("slug"));
    JsonObject keyCreated = log.getJsonObject(1);
    assertEquals("user:alice-audit", keyCreated.getString("actor"));
    assertTrue(keyCreated.containsKey("actor_tenant_id"));
    assertEquals("[redacted]", keyCreated.getJsonObject("after").getString("secret"));
    JsonObject revoked = log.getJsonObject(2);
    assertFalse(revoked.getJsonObject("before").containsKey("revoked_at"));
    assertTrue(revoked.getJsonObject("after").containsKey("revoked_at"));
    JsonObject patched = log.getJsonObject(3);
    assertFalse(
        patched.getJsonObject("before").getJsonObject("limits").containsKey("requests_per_minute"));
    assertEquals(
        7, patched.getJsonObject("after").getJsonObject("limits").getInt("requests_per_minute"));
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM audit_log WHERE before::text LIKE '%"
                + secret
                + "%' OR after::text LIKE '%"
                + secret
                + "%'"),
        "no secret in the audit log");
  }

  @Test
  void aTenantAdminReadsOnlyItsOwnTenantsLogAndPagesThroughIt() throws Exception {
    createTenant("audit-own", null, "INSTRUCT");
    createTenant("audit-other", null, "INSTRUCT");
    ApiClient admin =
        new ApiClient(ItTokens.token("own-admin", List.of("tenant-admin"), "audit-own"));
    for (int i = 0; i < 3; i++) {
      assertEquals(
          201,
          admin.post("/v1/admin/tenants/audit-own/keys", "{\"name\":\"k" + i + "\"}").statusCode());
    }
    JsonArray own = entries(admin, "/v1/admin/tenants/audit-own/audit");
    assertEquals(4, own.size(), own.toString()); // its creation and three keys
    assertEquals(404, admin.get("/v1/admin/tenants/audit-other/audit").statusCode());
    assertEquals(403, admin.get("/v1/admin/audit").statusCode());
    // paging: two at a time by id
    HttpResponse<String> first = admin.get("/v1/admin/tenants/audit-own/audit?limit=2");
    assertTrue(json(first).getBoolean("has_more"));
    long last = json(first).getJsonNumber("last_id").longValue();
    JsonArray rest =
        json(admin.get("/v1/admin/tenants/audit-own/audit?after=" + last)).getJsonArray("data");
    assertEquals(2, rest.size());
    assertTrue(rest.getJsonObject(0).getJsonNumber("id").longValue() > last);
    // filters and their bad values
    assertEquals(
        3,
        entries(admin, "/v1/admin/tenants/audit-own/audit?actor=user:own-admin&action=/keys")
            .size());
    for (String bad : List.of("limit=0", "limit=501", "limit=x", "after=-1", "since=yesterday")) {
      HttpResponse<String> r = admin.get("/v1/admin/tenants/audit-own/audit?" + bad);
      assertEquals(400, r.statusCode(), bad + ": " + r.body());
    }
  }

  @Test
  void theAuditLogIsAppendOnly() throws Exception {
    createTenant("audit-ro", null, "INSTRUCT");
    assertThrows(
        SQLException.class, () -> ItDatabase.execute("UPDATE audit_log SET actor = 'nobody'"));
    assertThrows(SQLException.class, () -> ItDatabase.execute("DELETE FROM audit_log"));
  }
}

package dev.llada.platform.interfaces.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What of a body counts as image data against the image endpoints' larger cap (issue #20). */
class ImageBodiesTest {

  private static long data(String body) {
    return ImageBodies.imageDataBytes(body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void onlyTheUrlsOfImagePartsCount() {
    String url = "data:image/png;base64,QUJD";
    assertEquals(
        url.length() * 2L,
        data(
            "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"text\",\"text\":\"data:image/png;base64,QUJD\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + url
                + "\",\"detail\":\"auto\"}},"
                + "{\"type\":\"image_url\",\"image_url\":{\"detail\":\"low\",\"url\":\""
                + url
                + "\"}}]}],\"url\":\"not an image\"}"));
    assertEquals(0, data("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
    assertEquals(0, data("{\"image_url\":\"data:image/png;base64,QUJD\"}"), "not in an object");
    assertEquals(0, data("{\"x\":{\"url\":\"data:\"}}"), "a url outside image_url");
    // image_url objects anywhere but at messages[i].content[j] are text (the cap's bypass)
    assertEquals(
        0,
        data("{\"metadata\":{\"image_url\":{\"url\":\"data:image/png;base64,QUJD\"}}}"),
        "metadata");
    assertEquals(
        0,
        data(
            "{\"messages\":[{\"role\":\"user\",\"image_url\":{\"url\":\"data:image/png;base64,"
                + "QUJD\"},\"content\":\"hi\"}]}"),
        "on a message");
    assertEquals(
        0,
        data(
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"https://example.com/x.png\"}}]}]}"),
        "a remote URL is not image data");
    assertEquals(-1, data("{\"prompt\":\"aaaa"), "not JSON: nothing is known to be an image");
    assertEquals(-1, data("aaaa"));
  }

  @Test
  void theChatAndTraceEndpointsTakeImages() {
    assertTrue(EdgeLimits.takesImages("/v1/chat/completions"));
    assertTrue(EdgeLimits.takesImages("/v1/chat/completions/"));
    assertTrue(EdgeLimits.takesImages("/v1/diffusion/generate"));
    assertFalse(EdgeLimits.takesImages("/v1/completions"));
    assertFalse(EdgeLimits.takesImages("/v1/loglikelihood"));
    assertFalse(EdgeLimits.takesImages("/v1/admin/tenants"));
    assertFalse(EdgeLimits.takesImages("/v1/chat/completions/x"));
    EdgeLimits limits = new EdgeLimits();
    limits.maxBodyBytes = 1 << 20;
    limits.maxImageBodyBytes = 20 << 20;
    assertEquals(20 << 20, limits.maxBodyBytes("/v1/chat/completions"));
    assertEquals(1 << 20, limits.maxBodyBytes("/v1/completions"));
    limits.maxImageBodyBytes = 1000;
    assertEquals(1 << 20, limits.maxImageBodyBytes(), "never below the text cap");
  }
}

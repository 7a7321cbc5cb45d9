package dev.llada.platform;

import static dev.llada.platform.ApiClient.createKey;
import static dev.llada.platform.ApiClient.createTenant;
import static dev.llada.platform.ApiClient.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.vision.ShapeScenes;
import jakarta.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Image content parts under fuzz (issue #20): a few hundred seeded mutations of a chat with images
 * — the image bytes flipped, truncated and padded, base64 and data-URL syntax broken, other media
 * types, parts of the wrong shape and in the wrong messages, too many images — and every answer is
 * a 200 or a 4xx in the OpenAI envelope, never a 5xx; the platform keeps serving and no reservation
 * is left open. A tenant not entitled to the vision variant is refused it as docs/API.md says
 * ({@code 403 model_not_allowed}), with or without an image, reserving nothing, and does not see it
 * listed.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class ImagePartsFuzzIT {

  private static final String VISION = "llada-tiny-v";

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  private static byte[] png() throws IOException {
    ShapeScenes scenes = new ShapeScenes(64);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(
        scenes.draw(
            List.of(new ShapeScenes.Shape(ShapeScenes.Kind.CIRCLE, ShapeScenes.Hue.RED, 1, 2))),
        "png",
        out);
    return out.toByteArray();
  }

  private static String imagePart(String url) {
    return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}";
  }

  private static String chat(String... parts) {
    return "{\"model\":\""
        + VISION
        + "\",\"max_tokens\":2,\"steps\":2,\"messages\":[{\"role\":\"user\",\"content\":["
        + String.join(",", parts)
        + ",{\"type\":\"text\",\"text\":\"what colour is the circle?\"}]}]}";
  }

  /** One mutation of a valid image chat: a name for the report and the body. */
  private static String[] mutation(Random r, byte[] png) {
    String b64 = Base64.getEncoder().encodeToString(png);
    String[] media = {
      "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "text/plain"
    };
    switch (r.nextInt(12)) {
      case 0 -> { // flipped bytes
        byte[] b = png.clone();
        for (int i = 0, n = 1 + r.nextInt(8); i < n; i++) {
          b[r.nextInt(b.length)] ^= (byte) (1 + r.nextInt(255));
        }
        return new String[] {
          "flipped",
          chat(imagePart("data:image/png;base64," + Base64.getEncoder().encodeToString(b)))
        };
      }
      case 1 -> { // truncated
        byte[] b = java.util.Arrays.copyOf(png, r.nextInt(png.length));
        return new String[] {
          "truncated",
          chat(imagePart("data:image/png;base64," + Base64.getEncoder().encodeToString(b)))
        };
      }
      case 2 -> { // random bytes under an image type
        byte[] b = new byte[r.nextInt(4096)];
        r.nextBytes(b);
        return new String[] {
          "random bytes",
          chat(
              imagePart(
                  "data:"
                      + media[r.nextInt(media.length)]
                      + ";base64,"
                      + Base64.getEncoder().encodeToString(b)))
        };
      }
      case 3 -> { // broken base64
        StringBuilder s = new StringBuilder(b64);
        for (int i = 0, n = 1 + r.nextInt(5); i < n; i++) {
          s.setCharAt(r.nextInt(s.length()), "!*@ \\u0001=-_".charAt(r.nextInt(12)));
        }
        return new String[] {"broken base64", chat(imagePart("data:image/png;base64," + s))};
      }
      case 4 -> { // data-URL syntax
        String[] urls = {
          "data:image/png," + b64,
          "data:;base64," + b64,
          "data:image/png;base64",
          "data:image/png;base64,",
          "DATA:IMAGE/PNG;BASE64," + b64,
          "data:image/png;charset=utf-8;base64," + b64,
          "data:image/png;base64,," + b64,
          "data:" + "x".repeat(300) + ";base64," + b64,
          "file:///etc/passwd",
          "http://127.0.0.1:5432/",
          "",
        };
        String u = urls[r.nextInt(urls.length)];
        return new String[] {"url " + u.substring(0, Math.min(30, u.length())), chat(imagePart(u))};
      }
      case 5 -> { // the part's shape
        String good = "data:image/png;base64," + b64;
        String[] parts = {
          "{\"type\":\"image_url\",\"image_url\":\"" + good + "\"}",
          "{\"type\":\"image_url\",\"image_url\":{\"url\":null}}",
          "{\"type\":\"image_url\",\"image_url\":{\"url\":[\"" + good + "\"]}}",
          "{\"type\":\"image_url\",\"image_url\":{\"url\":7}}",
          "{\"type\":\"image_url\",\"image_url\":{}}",
          "{\"type\":\"image_url\"}",
          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + good + "\",\"detail\":\"bogus\"}}",
          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + good + "\",\"detail\":\"high\"}}",
          "{\"type\":\"image\",\"image_url\":{\"url\":\"" + good + "\"}}",
          "{\"type\":null,\"image_url\":{\"url\":\"" + good + "\"}}",
          "[]",
          "\"" + good + "\"",
        };
        return new String[] {"part shape", chat(parts[r.nextInt(parts.length)])};
      }
      case 6 -> { // many images
        List<String> parts = new ArrayList<>();
        for (int i = 0, n = 1 + r.nextInt(12); i < n; i++) {
          parts.add(imagePart("data:image/png;base64," + b64));
        }
        return new String[] {"images x" + parts.size(), chat(parts.toArray(String[]::new))};
      }
      case 7 -> { // an image where no image may be
        String role = new String[] {"system", "assistant", "tool", "developer"}[r.nextInt(4)];
        return new String[] {
          "image in " + role,
          "{\"model\":\""
              + VISION
              + "\",\"max_tokens\":2,\"steps\":2,\"messages\":[{\"role\":\""
              + role
              + "\",\"content\":["
              + imagePart("data:image/png;base64," + b64)
              + "]},{\"role\":\"user\",\"content\":\"hi\"}]}"
        };
      }
      case 8 -> { // images with guidance, streaming or another sampler
        String[] extra = {
          "\"cfg_scale\":1.5",
          "\"stream\":true",
          "\"sampler\":\"fast\"",
          "\"n\":2",
          "\"logprobs\":true"
        };
        String body = chat(imagePart("data:image/png;base64," + b64));
        String e = extra[r.nextInt(extra.length)];
        return new String[] {"with " + e, body.substring(0, body.length() - 1) + "," + e + "}"};
      }
      case 9 -> { // an image to a model that takes none
        return new String[] {
          "text model",
          chat(imagePart("data:image/png;base64," + b64)).replace(VISION, "llada-tiny-instruct")
        };
      }
      case 10 -> { // appended garbage after a valid image
        byte[] tail = new byte[1 + r.nextInt(2048)];
        r.nextBytes(tail);
        byte[] b = java.util.Arrays.copyOf(png, png.length + tail.length);
        System.arraycopy(tail, 0, b, png.length, tail.length);
        return new String[] {
          "trailing bytes",
          chat(imagePart("data:image/png;base64," + Base64.getEncoder().encodeToString(b)))
        };
      }
      default -> { // valid
        return new String[] {"valid", chat(imagePart("data:image/png;base64," + b64))};
      }
    }
  }

  @Test
  void aFuzzOfImagePartsGetsOnly200sAnd4xxsAndLeavesNothingOpen() throws Exception {
    createTenant("imgfuzz", null, "VISION", "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("imgfuzz", null));
    byte[] png = png();
    Random r = new Random(2026_12_04L);
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<String> wrong = new ArrayList<>();
    int ok = 0;
    for (int i = 0; i < 240; i++) {
      String[] m = mutation(r, png);
      HttpResponse<String> a = tenant.post("/v1/chat/completions", m[1]);
      seen.merge(m[0].split(" ")[0] + ":" + a.statusCode(), 1, Integer::sum);
      if (a.statusCode() >= 500) {
        wrong.add(i + " " + m[0] + ": " + a.statusCode() + " " + a.body());
      } else if (a.statusCode() >= 400) {
        try {
          JsonObject e = json(a).getJsonObject("error");
          if (e.getString("code", "").isEmpty() || e.getString("message", "").isEmpty()) {
            wrong.add(i + " " + m[0] + ": an error without code or message: " + a.body());
          }
        } catch (RuntimeException notJson) {
          wrong.add(i + " " + m[0] + ": not an OpenAI error body: " + a.body());
        }
      } else {
        ok++;
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\n" + seen);
    assertTrue(ok > 10, "some requests are valid and answered: " + seen);
    assertEquals(200, tenant.get("/v1/models").statusCode(), "still serving");
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'imgfuzz'"),
        "no reservation left open: " + seen);
  }

  @Test
  void aTenantNotEntitledToVisionIsRefusedItWithOrWithoutAnImage() throws Exception {
    createTenant("imgfuzz-text", null, "INSTRUCT");
    ApiClient tenant = new ApiClient(createKey("imgfuzz-text", null));
    String b64 = Base64.getEncoder().encodeToString(png());
    for (String body :
        new String[] {
          chat(imagePart("data:image/png;base64," + b64)),
          "{\"model\":\"" + VISION + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
        }) {
      HttpResponse<String> a = tenant.post("/v1/chat/completions", body);
      assertEquals(403, a.statusCode(), a.body());
      assertEquals("model_not_allowed", json(a).getJsonObject("error").getString("code"));
      assertEquals("model", json(a).getJsonObject("error").getString("param"));
    }
    assertTrue(
        json(tenant.get("/v1/models")).getJsonArray("data").stream()
            .noneMatch(m -> m.asJsonObject().getString("id").equals(VISION)),
        "not listed");
    assertEquals(
        0,
        ItDatabase.queryLong(
            "SELECT count(*) FROM reservation_lease l JOIN tenant t ON t.id = l.tenant_id"
                + " WHERE t.slug = 'imgfuzz-text'"));
  }
}

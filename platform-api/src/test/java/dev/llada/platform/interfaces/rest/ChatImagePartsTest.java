package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.vision.ImageLimits;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.registry.domain.VariantCode;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's content parts with images (issue #20): where each image goes in the text, and every
 * refusal with its code and the part it names.
 */
class ChatImagePartsTest {

  private static JsonObject json(String s) {
    try (var r = Json.createReader(new StringReader(s))) {
      return r.readObject();
    }
  }

  static String png(int w, int h, int rgb) throws Exception {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, rgb);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static String image(String url) {
    return "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}";
  }

  private static String text(String t) {
    return "{\"type\":\"text\",\"text\":\"" + t + "\"}";
  }

  private static JsonObject body(String role, String... parts) {
    return json(
        "{\"messages\":[{\"role\":\""
            + role
            + "\",\"content\":["
            + String.join(",", parts)
            + "]}]}");
  }

  private static InvalidRequestException refused(JsonObject body, VariantCode variant) {
    return assertThrows(InvalidRequestException.class, () -> OpenAiPrompts.chat(body, variant));
  }

  private static void refused(JsonObject body, String code, String param) {
    InvalidRequestException e = refused(body, VariantCode.VISION);
    assertEquals(400, e.status());
    assertEquals(code, e.code(), e.getMessage());
    assertEquals(param, e.param(), e.getMessage());
  }

  @Test
  void eachImageBecomesAPlaceholderAndANewlineAtItsPlace() {
    OpenAiPrompts.Chat chat =
        OpenAiPrompts.chat(
            json(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                    + "{\"role\":\"user\",\"content\":["
                    + image("data:image/png;base64,iVBORw0KGgo=")
                    + ","
                    + text("what colour is the circle?")
                    + ","
                    + image("data:image/jpeg;base64,/9j/4AAQ")
                    + ","
                    + text("and here?")
                    + "]}]}"),
            VariantCode.VISION);
    assertEquals(
        List.of(
            new ChatTemplate.Message("system", "Be brief."),
            new ChatTemplate.Message(
                "user", "<image>\nwhat colour is the circle?<image>\nand here?")),
        chat.messages());
    assertEquals(2, chat.images().size());
    assertEquals("messages[1].content[0].image_url.url", chat.images().get(0).param());
    assertEquals("image/png", chat.images().get(0).mediaType());
    assertEquals("iVBORw0KGgo=", chat.images().get(0).base64());
    assertEquals("messages[1].content[2].image_url.url", chat.images().get(1).param());
    assertEquals("image/jpeg", chat.images().get(1).mediaType());
  }

  @Test
  void textOnlyChatsAreUnchangedAndTakeThePlaceholderAsTextOnOtherModels() {
    OpenAiPrompts.Chat chat =
        OpenAiPrompts.chat(
            json("{\"messages\":[{\"role\":\"user\",\"content\":\"a <image> tag\"}]}"),
            VariantCode.INSTRUCT);
    assertEquals("a <image> tag", chat.messages().get(0).content());
    assertTrue(chat.images().isEmpty());
    assertEquals(
        "sort 21:",
        OpenAiPrompts.chat(body("user", text("sort "), text("21:")), VariantCode.VISION)
            .messages()
            .get(0)
            .content());
  }

  @Test
  void everyBadImagePartIsA400NamingIt() throws Exception {
    String ok = "data:image/png;base64," + png(4, 4, 0xFF0000);
    InvalidRequestException textOnly = refused(body("user", image(ok)), VariantCode.INSTRUCT);
    assertEquals("image_not_supported", textOnly.code());
    assertEquals("messages[0].content[0]", textOnly.param());
    String url = "messages[0].content[1].image_url.url";
    refused(
        body("user", text("x"), image("https://example.com/cat.png")),
        "image_url_not_supported",
        url);
    refused(
        body("user", text("x"), image("HTTP://example.com/cat.png")),
        "image_url_not_supported",
        url);
    refused(body("user", text("x"), image("file:///etc/passwd")), "invalid_image_url", url);
    refused(body("user", text("x"), image("")), "invalid_image_url", url);
    // image data only in image parts: a text part carrying image_url would pass the image cap
    refused(
        body(
            "user",
            "{\"type\":\"text\",\"text\":\"x\",\"image_url\":{\"url\":\"data:image/png;base64,QUJD\"}}"),
        "invalid_request",
        "messages[0].content[0].image_url");
    refused(body("user", text("x"), image("data:image/png;base64")), "invalid_image_url", url);
    refused(body("user", text("x"), image("data:image/png,abcd")), "invalid_image_url", url);
    refused(
        body("user", text("x"), image("data:text/plain;base64,aGk=")), "invalid_image_url", url);
    refused(
        body("user", text("x"), image("data:image/webp;base64,UklGRg==")),
        "unsupported_image",
        url);
    refused(
        body("user", text("x"), image("data:image/gif;base64,R0lGODlh")), "unsupported_image", url);
    refused(body("user", text("x"), image("data:image/png;base64,")), "not_an_image", url);
    refused(
        body("user", text("x"), "{\"type\":\"image_url\",\"image_url\":{}}"),
        "invalid_request",
        url);
    refused(
        body("user", text("x"), "{\"type\":\"image_url\",\"image_url\":\"" + ok + "\"}"),
        "invalid_request",
        "messages[0].content[1].image_url");
    refused(
        body(
            "user",
            text("x"),
            "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + ok + "\",\"detail\":\"max\"}}"),
        "invalid_request",
        "messages[0].content[1].image_url.detail");
    refused(body("assistant", image(ok)), "invalid_request", "messages[0].content[0]");
    refused(body("system", image(ok)), "invalid_request", "messages[0].content[0]");
    refused(
        body("user", text("see <image> here"), image(ok)),
        "invalid_request",
        "messages[0].content[0].text");
    refused(
        json("{\"messages\":[{\"role\":\"user\",\"content\":\"<image>\\nwhat?\"}]}"),
        "invalid_request",
        "messages[0].content");
    refused(body("user", "{\"type\":\"audio\"}"), "invalid_request", "messages[0].content[0]");
    refused(body("user", "{\"type\":\"text\"}"), "invalid_request", "messages[0].content[0].text");
    refused(body("user", "3"), "invalid_request", "messages[0].content[0]");
    // 'detail' is taken and has no effect (the tower reads one fixed size)
    assertEquals(
        1,
        OpenAiPrompts.chat(
                body(
                    "user",
                    "{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                        + ok
                        + "\",\"detail\":\"low\"}}"),
                VariantCode.VISION)
            .images()
            .size());
  }

  @Test
  void imagesDecodeWithinTheLimitsAndEachFaultNamesItsPart() throws Exception {
    String data = png(6, 4, 0x00FF00);
    ImageParts.Part part = new ImageParts.Part("p.url", "image/png", data);
    BufferedImage decoded = ChatImages.decode(part, ImageLimits.DEFAULT);
    assertEquals(6, decoded.getWidth());
    assertEquals(0x00FF00, decoded.getRGB(2, 2) & 0xFFFFFF);
    // line-wrapped base64 (MIME style) is taken
    String wrapped = data.substring(0, 10) + "\r\n" + data.substring(10);
    assertEquals(4, ChatImages.decode(part(wrapped), ImageLimits.DEFAULT).getHeight());
    record Bad(String base64, ImageLimits limits, String code) {}
    for (Bad bad :
        List.of(
            new Bad("not base64!", ImageLimits.DEFAULT, "invalid_base64"),
            new Bad("aGVsbG8gd29ybGQ=", ImageLimits.DEFAULT, "not_an_image"),
            new Bad(data.substring(0, 40), ImageLimits.DEFAULT, "corrupt_image"),
            new Bad("R0lGODlhAQABAAAAACw=", ImageLimits.DEFAULT, "unsupported_image"),
            new Bad(data, new ImageLimits(20, 1 << 20, 1 << 12), "image_too_large"),
            new Bad(data, new ImageLimits(1 << 20, 23, 1 << 12), "image_too_large"),
            new Bad(data, new ImageLimits(1 << 20, 1 << 20, 5), "image_too_large"))) {
      InvalidRequestException e =
          assertThrows(
              InvalidRequestException.class,
              () -> ChatImages.decode(part(bad.base64()), bad.limits()));
      assertEquals(bad.code(), e.code(), e.getMessage());
      assertEquals("p.url", e.param());
      assertTrue(e.getMessage().endsWith("."), e.getMessage());
    }
  }

  private static ImageParts.Part part(String base64) {
    return new ImageParts.Part("p.url", "image/png", base64);
  }

  @Test
  void theRequestLogKeepsNoImageData() throws Exception {
    String data = png(8, 8, 0x123456);
    JsonObject b =
        body("user", text("what?"), image("data:image/png;base64," + data), image("https://x/y"));
    JsonObject kept = ImageParts.redacted(b);
    assertFalse(kept.toString().contains(data), kept.toString());
    assertTrue(
        kept.toString()
            .contains("data:image/png;base64,[" + data.length() + " characters not logged]"),
        kept.toString());
    assertTrue(kept.toString().contains("what?"));
    assertTrue(kept.toString().contains("https://x/y"));
    JsonObject plain = json("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertSame(plain, ImageParts.redacted(plain), "a body without images is kept as it is");
    assertArrayEquals(
        Base64.getDecoder().decode(data), new ImageParts.Part("x", "image/png", data).bytes());
  }
}

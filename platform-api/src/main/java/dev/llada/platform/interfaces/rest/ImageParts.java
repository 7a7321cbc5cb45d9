package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * OpenAI's image content parts, {@code {"type": "image_url", "image_url": {"url": "data:image/png;
 * base64,…", "detail": "auto"}}}, checked for form: the platform takes images inline as base64
 * {@code data:} URLs of PNG or JPEG, and fetches nothing ({@code http(s)://} URLs are refused with
 * {@code image_url_not_supported}). Each refusal names the part ({@code
 * messages[i].content[j].image_url.url}).
 */
final class ImageParts {

  private ImageParts() {}

  /** The media types taken (the decoder reads the bytes' own signature; these are its names). */
  private static final List<String> TAKEN = List.of("image/png", "image/jpeg", "image/jpg");

  /**
   * One image part, its data still base64.
   *
   * @param param where it is in the request, for refusals ({@code …image_url.url})
   * @param mediaType as the data URL declares it, lower case
   * @param base64 the data after the comma
   */
  record Part(String param, String mediaType, String base64) {

    /**
     * The image's bytes.
     *
     * @throws InvalidRequestException ({@code invalid_base64}) when the data is not base64
     */
    byte[] bytes() {
      String data = base64;
      if (data.chars().anyMatch(Character::isWhitespace)) { // line-wrapped base64 (MIME)
        data = data.replaceAll("\\s+", "");
      }
      try {
        return Base64.getDecoder().decode(data);
      } catch (IllegalArgumentException e) {
        throw new InvalidRequestException(
            "invalid_base64",
            param,
            "The data URL's image data is not valid base64 (" + e.getMessage() + ").");
      }
    }
  }

  /** Checks the form of {@code part} (an {@code image_url} content part at {@code param}). */
  static Part parse(JsonObject part, String param) {
    if (!(part.get("image_url") instanceof JsonObject image)) {
      throw new InvalidRequestException(
          param + ".image_url",
          "An image_url part needs 'image_url': {\"url\": \"data:image/png;base64,...\"}.");
    }
    String urlParam = param + ".image_url.url";
    if (!(image.get("url") instanceof JsonString u)) {
      throw new InvalidRequestException(
          urlParam, "'image_url.url' is required: a data URL (data:image/png;base64,...).");
    }
    JsonValue detail = image.get("detail");
    if (detail != null
        && detail.getValueType() != JsonValue.ValueType.NULL
        && !(detail instanceof JsonString d
            && List.of("auto", "low", "high").contains(d.getString()))) {
      throw new InvalidRequestException(
          param + ".image_url.detail", "'detail' must be 'auto', 'low' or 'high'.");
    }
    String url = u.getString();
    String head = url.substring(0, Math.min(url.length(), 64)).toLowerCase(Locale.ROOT);
    if (head.startsWith("http://") || head.startsWith("https://")) {
      throw new InvalidRequestException(
          "image_url_not_supported",
          urlParam,
          "This platform fetches nothing from the network, so image URLs cannot be read; send the"
              + " image inline as a data URL (data:image/png;base64,... or"
              + " data:image/jpeg;base64,...).");
    }
    if (!head.startsWith("data:")) {
      throw new InvalidRequestException(
          "invalid_image_url",
          urlParam,
          "'image_url.url' must be a data URL (data:image/png;base64,... or"
              + " data:image/jpeg;base64,...).");
    }
    int comma = url.indexOf(',');
    if (comma < 0 || comma > 256) {
      throw new InvalidRequestException(
          "invalid_image_url", urlParam, "The data URL has no ',' before its data.");
    }
    String[] header = url.substring(5, comma).toLowerCase(Locale.ROOT).split(";", -1);
    String mediaType = header[0].trim();
    boolean base64 = false;
    for (int i = 1; i < header.length; i++) {
      base64 |= header[i].trim().equals("base64");
    }
    if (!mediaType.startsWith("image/")) {
      throw new InvalidRequestException(
          "invalid_image_url",
          urlParam,
          "The data URL is '"
              + printable(mediaType)
              + "', not an image: send data:image/png;base64,... or data:image/jpeg;base64,....");
    }
    if (!TAKEN.contains(mediaType)) {
      throw new InvalidRequestException(
          "unsupported_image",
          urlParam,
          printable(mediaType) + " images are not accepted: only PNG and JPEG.");
    }
    if (!base64) {
      throw new InvalidRequestException(
          "invalid_image_url",
          urlParam,
          "Only base64 data URLs are accepted (data:" + mediaType + ";base64,...).");
    }
    if (comma == url.length() - 1) {
      throw new InvalidRequestException(
          "not_an_image", urlParam, "The data URL holds no image data.");
    }
    return new Part(urlParam, mediaType, url.substring(comma + 1));
  }

  /** A media type as it may be shown back: printable ASCII, at most 64 characters. */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < 64; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }

  /**
   * {@code body} as the request log keeps it: each image part's data replaced by its size, so that
   * a tenant's logged bodies never hold its images (nor megabytes of base64). The same object when
   * it has no image part.
   */
  static JsonObject redacted(JsonObject body) {
    if (!(body.get("messages") instanceof JsonArray messages) || !hasImage(messages)) {
      return body;
    }
    JsonArrayBuilder kept = Json.createArrayBuilder();
    for (JsonValue m : messages) {
      if (m instanceof JsonObject message && message.get("content") instanceof JsonArray parts) {
        JsonArrayBuilder content = Json.createArrayBuilder();
        for (JsonValue p : parts) {
          content.add(redactedPart(p));
        }
        kept.add(Json.createObjectBuilder(message).add("content", content));
      } else {
        kept.add(m);
      }
    }
    return Json.createObjectBuilder(body).add("messages", kept).build();
  }

  private static JsonValue redactedPart(JsonValue p) {
    if (p instanceof JsonObject part
        && part.get("image_url") instanceof JsonObject image
        && image.get("url") instanceof JsonString url) {
      String u = url.getString();
      int comma = u.indexOf(',');
      String shown =
          u.regionMatches(true, 0, "data:", 0, 5) && comma > 0
              ? u.substring(0, comma + 1)
                  + "["
                  + (u.length() - comma - 1)
                  + " characters not logged]"
              : u.length() > 256 ? u.substring(0, 256) + "…" : u;
      JsonObjectBuilder i = Json.createObjectBuilder(image).add("url", shown);
      return Json.createObjectBuilder(part).add("image_url", i).build();
    }
    return p;
  }

  private static boolean hasImage(JsonArray messages) {
    for (JsonValue m : messages) {
      if (m instanceof JsonObject message && message.get("content") instanceof JsonArray parts) {
        for (JsonValue p : parts) {
          if (p instanceof JsonObject part && part.containsKey("image_url")) {
            return true;
          }
        }
      }
    }
    return false;
  }
}

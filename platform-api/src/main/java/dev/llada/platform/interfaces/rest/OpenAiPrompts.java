package dev.llada.platform.interfaces.rest;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.UnprocessableException;
import dev.llada.registry.domain.VariantCode;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * What the OpenAI-compatible endpoints take as input (a completion's prompt, a chat's messages),
 * checked and turned into what the model reads; every refusal names the parameter at fault.
 */
final class OpenAiPrompts {

  private OpenAiPrompts() {}

  /** A completion's prompt: a string, or an array holding one string. */
  static String prompt(JsonObject b) {
    if (!JsonFields.present(b, "prompt")) {
      throw new InvalidRequestException("prompt", "'prompt' is required.");
    }
    JsonValue p = b.get("prompt");
    if (p instanceof JsonString s) {
      return s.getString();
    }
    if (p instanceof JsonArray a && a.size() == 1 && a.get(0) instanceof JsonString s) {
      return s.getString();
    }
    throw new InvalidRequestException(
        "prompt", "'prompt' must be a string (or an array holding one string).");
  }

  /** OpenAI messages: string content or text parts; image parts only for the vision variant. */
  static List<ChatTemplate.Message> messages(JsonObject b, VariantCode variant) {
    if (!(JsonFields.present(b, "messages") && b.get("messages") instanceof JsonArray array)
        || array.isEmpty()) {
      throw new InvalidRequestException("messages", "'messages' must be a non-empty array.");
    }
    List<ChatTemplate.Message> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String param = "messages[" + i + "]";
      if (!(array.get(i) instanceof JsonObject m)) {
        throw new InvalidRequestException(param, param + " must be an object.");
      }
      String role = JsonFields.string(m, "role", null);
      if (role == null || !List.of("system", "developer", "user", "assistant").contains(role)) {
        throw new InvalidRequestException(
            param + ".role", "role must be system, developer, user or assistant.");
      }
      JsonValue content = m.get("content");
      StringBuilder text = new StringBuilder();
      if (content instanceof JsonString s) {
        text.append(s.getString());
      } else if (content instanceof JsonArray parts) {
        for (JsonValue part : parts) {
          if (!(part instanceof JsonObject po)) {
            throw new InvalidRequestException(param + ".content", "content parts must be objects.");
          }
          String type = JsonFields.string(po, "type", "");
          if (type.equals("text")) {
            text.append(JsonFields.requiredString(po, "text"));
          } else if (type.equals("image_url")) {
            JsonObject image = JsonFields.object(po, "image_url");
            String url = image == null ? null : JsonFields.string(image, "url", null);
            if (url == null
                || !url.matches("(?s)data:image/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/=\\s]+")) {
              throw new InvalidRequestException(
                  param + ".content",
                  "image_url.url must be a data URL (data:image/png;base64,...).");
            }
            if (variant != VariantCode.VISION) {
              throw new InvalidRequestException(
                  "image_not_supported",
                  param + ".content",
                  "This model takes text only; images need the LLaDA-V variant.");
            }
            throw new UnprocessableException(
                "vision_not_deployed",
                "model",
                "No vision tower is deployed on this platform yet, so images cannot be read.");
          } else {
            throw new InvalidRequestException(
                param + ".content", "content parts are 'text' or 'image_url', got '" + type + "'.");
          }
        }
      } else {
        throw new InvalidRequestException(
            param + ".content", "content must be a string or an array of parts.");
      }
      out.add(
          new ChatTemplate.Message(role.equals("developer") ? "system" : role, text.toString()));
    }
    return out;
  }
}

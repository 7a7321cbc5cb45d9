package dev.llada.platform.interfaces.rest;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.platform.domain.InvalidRequestException;
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

  /**
   * A chat's messages as the model reads them ({@code <image>} where each image part was) and the
   * image parts, in order.
   */
  record Chat(List<ChatTemplate.Message> messages, List<ImageParts.Part> images) {
    Chat {
      messages = List.copyOf(messages);
      images = List.copyOf(images);
    }
  }

  /**
   * OpenAI messages: string content, or an array of {@code text} and {@code image_url} parts. Image
   * parts are taken by the vision variant only ({@code image_not_supported} otherwise), in user
   * messages only; each becomes {@code <image>} and a newline at its place in the content
   * (LLaDA-V's {@code "<image>\n" + question}), so the text of a vision model's messages may not
   * hold {@code <image>} itself. The image data is checked for form here ({@link ImageParts});
   * decoding comes later ({@link ChatImages}).
   */
  static Chat chat(JsonObject b, VariantCode variant) {
    if (!(JsonFields.present(b, "messages") && b.get("messages") instanceof JsonArray array)
        || array.isEmpty()) {
      throw new InvalidRequestException("messages", "'messages' must be a non-empty array.");
    }
    boolean vision = variant == VariantCode.VISION;
    List<ChatTemplate.Message> out = new ArrayList<>();
    List<ImageParts.Part> images = new ArrayList<>();
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
        text.append(checkedText(s.getString(), vision, param + ".content"));
      } else if (content instanceof JsonArray parts) {
        for (int j = 0; j < parts.size(); j++) {
          String partParam = param + ".content[" + j + "]";
          if (!(parts.get(j) instanceof JsonObject po)) {
            throw new InvalidRequestException(partParam, "content parts must be objects.");
          }
          String type = JsonFields.string(po, "type", "");
          if (type.equals("text") && po.containsKey("image_url")) {
            // only an image part's image_url is image data (the edge's larger cap counts it);
            // parts of other types are refused below whatever they carry
            throw new InvalidRequestException(
                partParam + ".image_url", "only an 'image_url' part may carry 'image_url'.");
          }
          if (type.equals("text")) {
            if (!(po.get("text") instanceof JsonString t)) {
              throw new InvalidRequestException(
                  partParam + ".text", "a text part needs 'text', a string.");
            }
            text.append(checkedText(t.getString(), vision, partParam + ".text"));
          } else if (type.equals("image_url")) {
            if (!vision) {
              throw new InvalidRequestException(
                  "image_not_supported",
                  partParam,
                  "This model takes text only; images need a LLaDA-V (VISION) model.");
            }
            if (!role.equals("user")) {
              throw new InvalidRequestException(
                  partParam, "Images go in user messages only, not in a " + role + " message.");
            }
            images.add(ImageParts.parse(po, partParam));
            text.append(ImagePrompt.PLACEHOLDER).append('\n');
          } else {
            throw new InvalidRequestException(
                partParam, "content parts are 'text' or 'image_url', got '" + type + "'.");
          }
        }
      } else {
        throw new InvalidRequestException(
            param + ".content", "content must be a string or an array of parts.");
      }
      out.add(
          new ChatTemplate.Message(role.equals("developer") ? "system" : role, text.toString()));
    }
    return new Chat(out, images);
  }

  /**
   * A vision model's text may not hold {@code <image>}: it would take the place of an image (and
   * move where the images go); other models read it as text.
   */
  private static String checkedText(String text, boolean vision, String param) {
    if (vision && text.contains(ImagePrompt.PLACEHOLDER)) {
      throw new InvalidRequestException(
          param,
          "The text holds \"<image>\", which marks where an image goes for this model; send each"
              + " image as an image_url content part at its place instead.");
    }
    return text;
  }
}

package dev.llada.platform.interfaces.web;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.stream.JsonParser;
import java.io.ByteArrayInputStream;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * How much of a request body is image data: the {@code url} strings of its {@code image_url}
 * objects (OpenAI's image content parts). An endpoint that takes images caps its whole body at
 * {@link EdgeLimits#maxImageBodyBytes()} and the rest at {@link EdgeLimits#maxBodyBytes()}, so that
 * a large body without images is refused (413) as on any text endpoint, before any filter, parser
 * or the idempotency store sees it.
 */
final class ImageBodies {

  private ImageBodies() {}

  /** Where an image part's data URL sits: messages[i].content[j].image_url.url (from the root). */
  private static final java.util.List<String> IMAGE_URL_PATH =
      java.util.List.of("", "messages", "", "content", "", "image_url");

  /**
   * The characters of {@code body}'s image data: the {@code data:} URLs at {@code
   * messages[i].content[j].image_url.url} and nowhere else (a string elsewhere, or a URL that is
   * not data, is text and counts against the text cap), or −1 when {@code body} is not JSON.
   */
  static long imageDataBytes(byte[] body) {
    try (JsonParser p = Json.createParser(new ByteArrayInputStream(body))) {
      Deque<String> containers = new ArrayDeque<>(); // the key each open container is the value of
      String key = null;
      long total = 0;
      while (p.hasNext()) {
        JsonParser.Event e = p.next();
        switch (e) {
          case KEY_NAME -> key = p.getString();
          case START_OBJECT, START_ARRAY -> {
            containers.push(key == null ? "" : key);
            key = null;
          }
          case END_OBJECT, END_ARRAY -> {
            containers.pop();
            key = null;
          }
          case VALUE_STRING -> {
            if ("url".equals(key)
                && containers.size() == IMAGE_URL_PATH.size()
                && atImagePart(containers)
                && p.getString().startsWith("data:")) {
              total += p.getString().length(); // base64: one byte a character
            }
            key = null;
          }
          default -> key = null;
        }
      }
      return total;
    } catch (JsonException | IllegalStateException | java.util.NoSuchElementException e) {
      return -1;
    }
  }

  /** Whether the open containers, root first, are exactly {@link #IMAGE_URL_PATH}. */
  private static boolean atImagePart(Deque<String> containers) {
    java.util.Iterator<String> fromRoot = containers.descendingIterator();
    for (String expected : IMAGE_URL_PATH) {
      if (!expected.equals(fromRoot.next())) {
        return false;
      }
    }
    return true;
  }
}

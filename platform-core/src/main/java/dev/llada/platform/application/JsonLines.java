package dev.llada.platform.application;

import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The format of a {@code batch} or {@code fine-tune} upload: JSON Lines (UTF-8, one JSON object a
 * line, blank lines and CRLF allowed), read a line at a time, each line at most a cap.
 */
final class JsonLines {

  private JsonLines() {}

  /**
   * Every line of {@code content} is valid UTF-8 and, unless blank, one JSON object of at most
   * {@code maxLineBytes}; a 400 names the first line that is not.
   */
  static void check(Path content, long maxLineBytes) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(content))) {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      long number = 1;
      int objects = 0;
      int b;
      boolean tooLong = false;
      while ((b = in.read()) != -1) {
        if (b == '\n') {
          objects += checkLine(line, number, tooLong, maxLineBytes);
          line.reset();
          tooLong = false;
          number++;
        } else if (line.size() <= maxLineBytes) {
          line.write(b);
        } else {
          tooLong = true;
        }
      }
      objects += checkLine(line, number, tooLong, maxLineBytes);
      if (objects == 0) {
        throw new InvalidRequestException(
            "invalid_file_format", "file", "The file holds no JSON object.");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int checkLine(
      ByteArrayOutputStream bytes, long number, boolean tooLong, long max) {
    if (tooLong || bytes.size() > max) {
      throw invalidLine(number, "it has more than " + max + " bytes");
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString();
    } catch (CharacterCodingException e) {
      throw invalidLine(number, "it is not UTF-8");
    }
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    if (text.isBlank()) {
      return 0;
    }
    try (JsonParser parser = Json.createParser(new StringReader(text))) {
      if (parser.next() != JsonParser.Event.START_OBJECT) {
        throw invalidLine(number, "it is not a JSON object");
      }
      // by hand: Parsson 1.1.7's skipObject() never returns on a truncated object
      int depth = 1;
      while (depth > 0) {
        JsonParser.Event event = parser.next();
        if (event == JsonParser.Event.START_OBJECT || event == JsonParser.Event.START_ARRAY) {
          depth++;
        } else if (event == JsonParser.Event.END_OBJECT || event == JsonParser.Event.END_ARRAY) {
          depth--;
        }
      }
      if (parser.hasNext()) {
        throw invalidLine(number, "it holds more than one JSON value");
      }
    } catch (JsonParsingException | java.util.NoSuchElementException e) {
      throw invalidLine(number, "it is not valid JSON");
    }
    return 1;
  }

  private static InvalidRequestException invalidLine(long number, String why) {
    return new InvalidRequestException(
        "invalid_file_format", "file", "Line " + number + " of the file is refused: " + why + ".");
  }
}

package dev.llada.vrpo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Reads a preference dataset: JSON Lines, one {@code {"prompt" | "messages", "chosen", "rejected"}}
 * object per line (other fields are ignored). The prompt is a string (one user turn) or a chat
 * ({@code [{"role", "content"}, …]} ending with a user turn); each is rendered with the chat
 * template. A response is its text's tokens and the terminator the model was fine-tuned to end
 * answers with ({@code <|eot_id|>}, else EOS).
 *
 * <p>Every line is checked before anything is used, and all faults are reported together with their
 * line and field: bad JSON, a missing, empty or mistyped field, identical chosen and rejected, a
 * row longer than the model's context. Exact duplicates (same tokens) are dropped and counted. The
 * digest is SHA-256 over the kept pairs' tokens, so the same data gives the same digest however it
 * is spelled.
 */
public final class PreferenceData {

  /** The most bytes a dataset file may have. */
  public static final long MAX_FILE_BYTES = 512L << 20;

  /** The most bytes one line may have. */
  public static final int MAX_LINE_BYTES = 1 << 20;

  /** The most pairs a dataset may hold. */
  public static final int MAX_ROWS = 1_000_000;

  private static final int MAX_FAULTS = 20;

  /**
   * A loaded dataset.
   *
   * @param duplicates exact duplicates dropped
   * @param digest "sha256:" and the hex digest of the kept pairs
   */
  public record Dataset(List<PreferencePair> pairs, int duplicates, String digest) {}

  private PreferenceData() {}

  /**
   * Loads {@code file} for a model whose context is {@code maxLength} tokens.
   *
   * @throws PreferenceDataException naming every fault (at most 20 shown)
   */
  public static Dataset load(Path file, LladaTokenizer tokenizer, int maxLength)
      throws IOException {
    String source = file.toString();
    if (!Files.isRegularFile(file)) {
      throw fault(source, 0, null, "no such file");
    }
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw fault(source, 0, null, "larger than " + (MAX_FILE_BYTES >> 20) + " MiB");
    }
    List<PreferencePair> pairs = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int[] duplicates = {0};
    int terminator = tokenizer.eotId() >= 0 ? tokenizer.eotId() : tokenizer.eosId();
    try (java.io.InputStream in = Files.newInputStream(file)) {
      read(
          source,
          in,
          (line, row, faults) -> {
            PreferencePair pair = pair(line, row, tokenizer, terminator, maxLength, faults);
            if (pair != null && !seen.add(key(pair))) {
              duplicates[0]++;
            } else if (pair != null) {
              pairs.add(pair);
            }
          });
    }
    return new Dataset(List.copyOf(pairs), duplicates[0], digest(pairs));
  }

  /**
   * One row as the file gives it: the prompt rendered with the chat template, and the two
   * responses' texts.
   */
  public record Row(String prompt, String chosen, String rejected) {}

  @FunctionalInterface
  private interface RowSink {
    void accept(int line, Row row, List<PreferenceDataException.Fault> faults);
  }

  /**
   * Checks a dataset's rows without a model (no tokenizer, no context length): what can be said of
   * a file as it is uploaded. The model's own checks (a row longer than its context, duplicates by
   * tokens) are {@link #load}'s, when a job reads the file for its model.
   *
   * @return how many rows it holds
   * @throws PreferenceDataException naming every fault (at most 20 shown)
   */
  public static int check(String source, java.io.InputStream in) throws IOException {
    int[] rows = {0};
    read(source, in, (line, row, faults) -> rows[0]++);
    return rows[0];
  }

  /**
   * Reads the lines, checks each row and gives the good ones to {@code sink}; throws the faults.
   */
  private static void read(String source, java.io.InputStream input, RowSink sink)
      throws IOException {
    List<PreferenceDataException.Fault> faults = new ArrayList<>();
    int[] kept = {0};
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader in = new BufferedReader(new java.io.InputStreamReader(input, decoder))) {
      int line = 0;
      int rows = 0;
      for (String text = in.readLine(); text != null; text = in.readLine()) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        if (++rows > MAX_ROWS) {
          faults.add(
              new PreferenceDataException.Fault(line, null, "more than " + MAX_ROWS + " rows"));
          break;
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_LINE_BYTES) {
          faults.add(
              new PreferenceDataException.Fault(
                  line, null, "longer than " + (MAX_LINE_BYTES >> 10) + " KiB"));
          continue;
        }
        int before = faults.size();
        Row row = row(line, text, faults);
        if (row != null) {
          sink.accept(line, row, faults);
          kept[0] += faults.size() == before ? 1 : 0;
        }
        if (faults.size() > MAX_FAULTS) {
          break;
        }
      }
    } catch (CharacterCodingException e) {
      faults.add(new PreferenceDataException.Fault(0, null, "not UTF-8 text"));
    }
    if (faults.isEmpty() && kept[0] == 0) {
      faults.add(new PreferenceDataException.Fault(0, null, "holds no pairs"));
    }
    if (!faults.isEmpty()) {
      throw new PreferenceDataException(
          source,
          faults.subList(0, Math.min(MAX_FAULTS, faults.size())),
          faults.size() > MAX_FAULTS);
    }
  }

  /** A line's row, its fields checked; null (and the faults) when it is not one. */
  private static Row row(int line, String text, List<PreferenceDataException.Fault> faults) {
    JsonObject o;
    try {
      JsonElement e = JsonParser.parseString(text);
      if (!e.isJsonObject()) {
        faults.add(new PreferenceDataException.Fault(line, null, "not a JSON object"));
        return null;
      }
      o = e.getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      faults.add(new PreferenceDataException.Fault(line, null, "not valid JSON"));
      return null;
    }
    int before = faults.size();
    String prompt = prompt(line, o, faults);
    String chosen = text(line, o, "chosen", faults);
    String rejected = text(line, o, "rejected", faults);
    if (faults.size() > before) {
      return null;
    }
    if (chosen.strip().equals(rejected.strip())) {
      faults.add(new PreferenceDataException.Fault(line, "rejected", "is the same as chosen"));
      return null;
    }
    return new Row(prompt, chosen, rejected);
  }

  private static PreferencePair pair(
      int line,
      Row row,
      LladaTokenizer tokenizer,
      int terminator,
      int maxLength,
      List<PreferenceDataException.Fault> faults) {
    String prompt = row.prompt();
    String chosen = row.chosen();
    String rejected = row.rejected();
    int[] p = tokenizer.encode(prompt);
    int[] c = response(tokenizer, chosen, terminator);
    int[] r = response(tokenizer, rejected, terminator);
    int longest = p.length + Math.max(c.length, r.length);
    if (longest > maxLength) {
      faults.add(
          new PreferenceDataException.Fault(
              line,
              c.length >= r.length ? "chosen" : "rejected",
              "prompt and response are "
                  + longest
                  + " tokens, more than the model's context of "
                  + maxLength));
      return null;
    }
    return new PreferencePair(line, p, c, r);
  }

  private static String prompt(int line, JsonObject o, List<PreferenceDataException.Fault> faults) {
    boolean hasPrompt = o.has("prompt");
    boolean hasMessages = o.has("messages");
    if (hasPrompt == hasMessages) {
      faults.add(
          new PreferenceDataException.Fault(
              line,
              "prompt",
              hasPrompt ? "give prompt or messages, not both" : "missing (or give messages)"));
      return null;
    }
    if (hasPrompt) {
      String p = text(line, o, "prompt", faults);
      return p == null ? null : ChatTemplate.render(List.of(new ChatTemplate.Message("user", p)));
    }
    JsonElement m = o.get("messages");
    if (!m.isJsonArray() || m.getAsJsonArray().isEmpty()) {
      faults.add(new PreferenceDataException.Fault(line, "messages", "must be a non-empty array"));
      return null;
    }
    List<ChatTemplate.Message> messages = new ArrayList<>();
    int i = 0;
    for (JsonElement e : m.getAsJsonArray()) {
      String field = "messages[" + i++ + "]";
      if (!e.isJsonObject()) {
        faults.add(new PreferenceDataException.Fault(line, field, "must be an object"));
        return null;
      }
      String role = text(line, e.getAsJsonObject(), "role", faults);
      String content = text(line, e.getAsJsonObject(), "content", faults);
      if (role == null || content == null) {
        return null;
      }
      if (!Set.of("system", "user", "assistant").contains(role)) {
        faults.add(
            new PreferenceDataException.Fault(
                line, field + ".role", "must be system, user or assistant"));
        return null;
      }
      messages.add(new ChatTemplate.Message(role, content));
    }
    if (!messages.get(messages.size() - 1).role().equals("user")) {
      faults.add(
          new PreferenceDataException.Fault(
              line, "messages", "must end with a user turn (the responses answer it)"));
      return null;
    }
    return ChatTemplate.render(messages);
  }

  /** A field that must be a non-blank string; null (and a fault) otherwise. */
  private static String text(
      int line, JsonObject o, String field, List<PreferenceDataException.Fault> faults) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      faults.add(new PreferenceDataException.Fault(line, field, "missing"));
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      faults.add(new PreferenceDataException.Fault(line, field, "must be a string"));
      return null;
    }
    String s = e.getAsString();
    if (s.isBlank()) {
      faults.add(new PreferenceDataException.Fault(line, field, "is empty"));
      return null;
    }
    return s;
  }

  private static int[] response(LladaTokenizer tokenizer, String text, int terminator) {
    int[] tokens = tokenizer.encode(text.strip());
    int[] out = Arrays.copyOf(tokens, tokens.length + 1);
    out[tokens.length] = terminator;
    return out;
  }

  private static String key(PreferencePair p) {
    return Arrays.toString(p.prompt())
        + Arrays.toString(p.chosen())
        + Arrays.toString(p.rejected());
  }

  private static String digest(List<PreferencePair> pairs) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (PreferencePair p : pairs) {
        for (int[] part : List.of(p.prompt(), p.chosen(), p.rejected())) {
          for (int id : part) {
            sha.update((byte) (id >>> 24));
            sha.update((byte) (id >>> 16));
            sha.update((byte) (id >>> 8));
            sha.update((byte) id);
          }
          sha.update((byte) 0xff); // a separator no 4-byte id sequence can be confused with
          sha.update((byte) 0xff);
          sha.update((byte) 0xff);
          sha.update((byte) 0xfe);
        }
      }
      return "sha256:" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static PreferenceDataException fault(String source, int line, String field, String why) {
    return new PreferenceDataException(
        source, List.of(new PreferenceDataException.Fault(line, field, why)), false);
  }
}

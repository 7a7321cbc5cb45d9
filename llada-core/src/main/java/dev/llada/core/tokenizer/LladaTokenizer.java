package dev.llada.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.llada.core.config.ModelFormatException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model's {@code tokenizer.json} through DJL's Hugging Face tokenizer, with truncation and
 * padding off and no implicit special tokens (the chat template adds BOS itself). Special ids are
 * looked up in the model's own vocabulary.
 */
public final class LladaTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final int bosId;
  private final int eosId;
  private final int maskId;
  private final int eotId;
  private final int maxTokenBytes;

  private LladaTokenizer(HuggingFaceTokenizer tokenizer, int maxTokenBytes) {
    this.tokenizer = tokenizer;
    this.maxTokenBytes = maxTokenBytes;
    this.bosId = idOf(SpecialTokenNames.BOS);
    this.eosId = idOf(SpecialTokenNames.EOS);
    this.maskId = idOf(SpecialTokenNames.MASK);
    this.eotId = idOf(SpecialTokenNames.EOT);
  }

  /** Loads {@code modelDirectory/tokenizer.json}. */
  public static LladaTokenizer load(Path modelDirectory) {
    Path file = modelDirectory.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelFormatException(file + " is missing");
    }
    try {
      int maxTokenBytes = maxTokenBytes(file);
      return new LladaTokenizer(
          HuggingFaceTokenizer.newInstance(
              file,
              Map.of(
                  "addSpecialTokens", "false",
                  "truncation", "false",
                  "padding", "false",
                  "maxLength", "1000000")),
          maxTokenBytes);
    } catch (IOException | RuntimeException e) {
      throw new ModelFormatException("cannot load " + file + ": " + e.getMessage(), e);
    }
  }

  /** Token ids of {@code text}; special token strings in the text become their single ids. */
  public int[] encode(String text) {
    Encoding encoding = tokenizer.encode(text, false, false);
    long[] ids = encoding.getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Text of {@code ids}; with {@code skipSpecialTokens} EOS, EoT, mask and headers are dropped. */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, skipSpecialTokens);
  }

  /** The id of a token string that is a single token in this vocabulary, or −1. */
  public int idOf(String token) {
    long[] ids = tokenizer.encode(token, false, false).getIds();
    if (ids.length != 1) {
      return -1;
    }
    String back = tokenizer.decode(ids, false);
    return back.equals(token) ? Math.toIntExact(ids[0]) : -1;
  }

  /**
   * The most UTF-8 bytes of input one token can stand for, bounded from above: the longest
   * vocabulary entry or added token in UTF-8 (a byte-level BPE entry spells each byte as one
   * character of at most two bytes; a SentencePiece piece spells a space in three), times 4 when
   * the tokenizer normalizes its input (a normalizer may fold several input bytes into one
   * character). For such tokenizers a text of more than {@code n × maxTokenBytes()} bytes has more
   * than {@code n} tokens, so callers can refuse it before it is tokenized. A tokenizer that
   * deletes input (a normalizer that strips characters, an {@code [UNK]} that swallows a run) can
   * have fewer tokens than that; the refusal then errs on the safe side, refusing a text that would
   * have fit, so the tokenizer is never handed more than the bound.
   */
  public int maxTokenBytes() {
    return maxTokenBytes;
  }

  private static int maxTokenBytes(Path file) throws IOException {
    JsonObject root;
    try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      root = JsonParser.parseReader(in).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(file + " is not a tokenizer JSON object: " + e.getMessage());
    }
    int longest = 1;
    if (root.get("model") instanceof JsonObject model) {
      JsonElement vocab = model.get("vocab");
      if (vocab instanceof JsonObject map) {
        for (String piece : map.keySet()) {
          longest = Math.max(longest, utf8Length(piece));
        }
      } else if (vocab instanceof JsonArray pieces) { // Unigram: [[piece, score], ...]
        for (JsonElement e : pieces) {
          if (e instanceof JsonArray pair && !pair.isEmpty() && pair.get(0).isJsonPrimitive()) {
            longest = Math.max(longest, utf8Length(pair.get(0).getAsString()));
          }
        }
      }
    }
    if (root.get("added_tokens") instanceof JsonArray added) {
      for (JsonElement e : added) {
        if (e instanceof JsonObject t && t.get("content") instanceof JsonPrimitive content) {
          longest = Math.max(longest, utf8Length(content.getAsString()));
        }
      }
    }
    boolean normalizes = root.has("normalizer") && !root.get("normalizer").isJsonNull();
    return normalizes ? 4 * longest : longest;
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  public int bosId() {
    return bosId;
  }

  public int eosId() {
    return eosId;
  }

  public int maskId() {
    return maskId;
  }

  /** {@code <|eot_id|>}, or −1 when the vocabulary has none. */
  public int eotId() {
    return eotId;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}

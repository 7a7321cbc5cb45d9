package dev.llada.core.tokenizer;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a byte-level BPE {@code tokenizer.json} (GPT-2 byte alphabet: ids 0..255 are the bytes,
 * then the merges in order, then LLaDA's special tokens) and a {@code tokenizer_config.json} with
 * the chat template fields, so small models load through the same code as LLaDA-8B.
 */
public final class ByteLevelTokenizerWriter {

  /** Specials in id order, appended after the byte and merge tokens. */
  public static final List<String> SPECIALS =
      List.of(
          SpecialTokenNames.BOS,
          SpecialTokenNames.EOS,
          SpecialTokenNames.MASK,
          SpecialTokenNames.START_HEADER,
          SpecialTokenNames.END_HEADER,
          SpecialTokenNames.EOT);

  private ByteLevelTokenizerWriter() {}

  /** GPT-2's reversible byte → printable character map. */
  public static char[] byteAlphabet() {
    List<Integer> bs = new ArrayList<>();
    for (int b = '!'; b <= '~'; b++) {
      bs.add(b);
    }
    for (int b = 0xA1; b <= 0xAC; b++) {
      bs.add(b);
    }
    for (int b = 0xAE; b <= 0xFF; b++) {
      bs.add(b);
    }
    char[] map = new char[256];
    for (int b : bs) {
      map[b] = (char) b;
    }
    int n = 0;
    for (int b = 0; b < 256; b++) {
      if (!bs.contains(b)) {
        map[b] = (char) (256 + n++);
      }
    }
    return map;
  }

  /**
   * Writes the two files into {@code directory}.
   *
   * @param merges pairs of existing tokens (in the byte alphabet) to merge, in priority order
   * @return the id of each special token, by its string
   */
  public static Map<String, Integer> write(Path directory, List<String[]> merges)
      throws IOException {
    char[] alphabet = byteAlphabet();
    JsonObject vocab = new JsonObject();
    int id = 0;
    for (int b = 0; b < 256; b++) {
      vocab.addProperty(String.valueOf(alphabet[b]), id++);
    }
    JsonArray mergeList = new JsonArray();
    for (String[] m : merges) {
      if (!vocab.has(m[0]) || !vocab.has(m[1])) {
        throw new IllegalArgumentException("merge of unknown tokens: " + m[0] + " + " + m[1]);
      }
      mergeList.add(m[0] + " " + m[1]);
      if (!vocab.has(m[0] + m[1])) {
        vocab.addProperty(m[0] + m[1], id++);
      }
    }
    JsonArray added = new JsonArray();
    Map<String, Integer> specialIds = new LinkedHashMap<>();
    for (String s : SPECIALS) {
      JsonObject t = new JsonObject();
      t.addProperty("id", id);
      t.addProperty("content", s);
      t.addProperty("single_word", false);
      t.addProperty("lstrip", false);
      t.addProperty("rstrip", false);
      t.addProperty("normalized", false);
      t.addProperty("special", true);
      added.add(t);
      specialIds.put(s, id++);
    }
    JsonObject byteLevel = new JsonObject();
    byteLevel.addProperty("type", "ByteLevel");
    byteLevel.addProperty("add_prefix_space", false);
    byteLevel.addProperty("trim_offsets", true);
    byteLevel.addProperty("use_regex", true);
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", JsonNull.INSTANCE);
    model.add("unk_token", JsonNull.INSTANCE);
    model.add("continuing_subword_prefix", JsonNull.INSTANCE);
    model.add("end_of_word_suffix", JsonNull.INSTANCE);
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    model.addProperty("ignore_merges", false);
    model.add("vocab", vocab);
    model.add("merges", mergeList);
    JsonObject tokenizer = new JsonObject();
    tokenizer.addProperty("version", "1.0");
    tokenizer.add("truncation", JsonNull.INSTANCE);
    tokenizer.add("padding", JsonNull.INSTANCE);
    tokenizer.add("added_tokens", added);
    tokenizer.add("normalizer", JsonNull.INSTANCE);
    tokenizer.add("pre_tokenizer", byteLevel);
    tokenizer.add("post_processor", JsonNull.INSTANCE);
    tokenizer.add("decoder", byteLevel);
    tokenizer.add("model", model);

    JsonObject config = new JsonObject();
    config.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
    config.addProperty("bos_token", SpecialTokenNames.BOS);
    config.addProperty("eos_token", SpecialTokenNames.EOS);
    config.addProperty("pad_token", SpecialTokenNames.EOS);
    config.addProperty("add_bos_token", false);
    config.addProperty("add_eos_token", false);
    config.addProperty("clean_up_tokenization_spaces", false);
    config.addProperty("model_max_length", 1_000_000);
    config.addProperty("chat_template", ChatTemplate.JINJA);

    var gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
    Files.createDirectories(directory);
    Files.writeString(
        directory.resolve("tokenizer.json"), gson.toJson(tokenizer), StandardCharsets.UTF_8);
    Files.writeString(
        directory.resolve("tokenizer_config.json"), gson.toJson(config), StandardCharsets.UTF_8);
    return specialIds;
  }
}

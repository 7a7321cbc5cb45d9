package dev.llada.core.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.llada.core.config.ModelFormatException;
import java.io.IOException;
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

  private LladaTokenizer(HuggingFaceTokenizer tokenizer) {
    this.tokenizer = tokenizer;
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
      return new LladaTokenizer(
          HuggingFaceTokenizer.newInstance(
              file,
              Map.of(
                  "addSpecialTokens", "false",
                  "truncation", "false",
                  "padding", "false",
                  "maxLength", "1000000")));
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

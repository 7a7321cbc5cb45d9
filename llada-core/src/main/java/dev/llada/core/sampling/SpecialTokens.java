package dev.llada.core.sampling;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.tokenizer.LladaTokenizer;

/**
 * The ids the sampler treats specially, taken from the model's files.
 *
 * @param maskId {@code <|mdm_mask|>}
 * @param eosId {@code <|endoftext|>}, also the padding id
 * @param eotId {@code <|eot_id|>}, or −1 when the vocabulary has none
 */
public record SpecialTokens(int maskId, int eosId, int eotId) {

  /**
   * LLaDA-8B's {@code <|eot_id|>} (llada-spec §0), the default when no tokenizer says otherwise.
   */
  public static final int DEFAULT_EOT_ID = 126348;

  /** Mask and EOS from {@code config.json}; EoT as given (from the tokenizer files). */
  public static SpecialTokens of(LladaConfig config, int eotId) {
    return new SpecialTokens(config.maskTokenId(), config.eosTokenId(), eotId);
  }

  /**
   * Mask and EOS from {@code config.json}, EoT from the tokenizer when it has one (may be null).
   */
  public static SpecialTokens of(LladaConfig config, LladaTokenizer tokenizer) {
    return tokenizer != null && tokenizer.eotId() >= 0 ? of(config, tokenizer.eotId()) : of(config);
  }

  /** Mask and EOS from {@code config.json}; EoT defaults to LLaDA's id if the vocabulary has it. */
  public static SpecialTokens of(LladaConfig config) {
    return of(config, DEFAULT_EOT_ID < config.embeddingSize() ? DEFAULT_EOT_ID : -1);
  }
}

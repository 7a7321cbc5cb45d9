package dev.llada.core.tokenizer;

/** LLaDA's special token strings (llada-spec §1.5). */
public final class SpecialTokenNames {

  public static final String BOS = "<|startoftext|>";
  public static final String EOS = "<|endoftext|>";
  public static final String MASK = "<|mdm_mask|>";
  public static final String START_HEADER = "<|start_header_id|>";
  public static final String END_HEADER = "<|end_header_id|>";
  public static final String EOT = "<|eot_id|>";

  private SpecialTokenNames() {}
}

package dev.llada.worker;

/**
 * What a loaded model can take, read from its files.
 *
 * @param maxSequenceLength prompt + gen_length may not exceed it
 * @param vocabSize token ids are below it
 * @param eosId end of text (also the padding of an answer)
 * @param eotId end of turn
 * @param maxTokenBytes the most bytes of text one token stands for (a bound from above): a text of
 *     more than {@code maxSequenceLength × maxTokenBytes} bytes cannot fit, tokenized or not
 */
public record ModelLimits(
    int maxSequenceLength, int vocabSize, int eosId, int eotId, int maxTokenBytes) {

  /** The most UTF-8 bytes a text can have and still fit the context once tokenized. */
  public long maxTextBytes() {
    return (long) maxSequenceLength * maxTokenBytes;
  }
}

package dev.llada.core.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Multi-turn history exactly as LLaDA's {@code chat.py} keeps it (llada-spec §4.1): each turn
 * renders only the new user message; from the second turn on, its leading BOS is dropped and the
 * ids are appended to the previous sequence (prompt + answer) from which every EOS was removed.
 */
public final class ChatSession {

  private final LladaTokenizer tokenizer;
  private int[] history = new int[0];

  public ChatSession(LladaTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** The prompt ids for the next user message. */
  public int[] prompt(String userMessage) {
    int[] turn =
        tokenizer.encode(
            ChatTemplate.render(List.of(new ChatTemplate.Message("user", userMessage))));
    if (history.length == 0) {
      return turn;
    }
    int[] prompt = Arrays.copyOf(history, history.length + turn.length - 1);
    System.arraycopy(turn, 1, prompt, history.length, turn.length - 1); // drop the template's BOS
    return prompt;
  }

  /** Records the full sequence the sampler returned (prompt + answer) as the new history. */
  public void accept(int[] sequence) {
    int eos = tokenizer.eosId();
    history = Arrays.stream(sequence).filter(t -> t != eos).toArray();
  }

  /** The conversation so far, EOS-free. */
  public int[] history() {
    return history.clone();
  }
}

package dev.llada.core.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Multi-turn history exactly as LLaDA's {@code chat.py} keeps it (llada-spec §4.1): each turn
 * renders only the new user message; from the second turn on, its leading BOS is dropped and the
 * ids are appended to the previous sequence (prompt + answer) from which every EOS was removed.
 *
 * <p>Unlike {@code chat.py}, which fails once the history outgrows the context, {@link
 * #prompt(String, int)} drops the oldest turns (each a user message and its answer) until the
 * prompt fits, keeping the leading BOS so the rest reads as a conversation from its start.
 */
public final class ChatSession {

  /** A prompt for the next message, and how many of the oldest turns it left out. */
  public record Prompt(int[] ids, int droppedTurns) {}

  private final LladaTokenizer tokenizer;
  private int[] history = new int[0];

  /** Where each kept turn starts in {@link #history} (the first at 0, with the BOS). */
  private final List<Integer> turnStarts = new ArrayList<>();

  private int pendingStart;

  public ChatSession(LladaTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** The prompt ids for the next user message, the whole history before it. */
  public int[] prompt(String userMessage) {
    return prompt(userMessage, Integer.MAX_VALUE).ids();
  }

  /**
   * The prompt ids for the next user message, at most {@code maxTokens} long: the oldest turns are
   * dropped until it fits, and stay dropped (a sliding window over the conversation).
   *
   * @throws IllegalArgumentException when the message alone does not fit
   */
  public Prompt prompt(String userMessage, int maxTokens) {
    int[] turn =
        tokenizer.encode(
            ChatTemplate.render(List.of(new ChatTemplate.Message("user", userMessage))));
    if (turn.length > maxTokens) {
      throw new IllegalArgumentException(
          "the message is "
              + turn.length
              + " tokens; with the answer's room the context holds "
              + maxTokens);
    }
    int dropped = 0;
    while (!turnStarts.isEmpty() && history.length + turn.length - 1 > maxTokens) {
      dropOldestTurn();
      dropped++;
    }
    if (history.length == 0) {
      pendingStart = 0;
      return new Prompt(turn, dropped);
    }
    int[] prompt = Arrays.copyOf(history, history.length + turn.length - 1);
    System.arraycopy(turn, 1, prompt, history.length, turn.length - 1); // drop the template's BOS
    pendingStart = history.length;
    return new Prompt(prompt, dropped);
  }

  /** Keeps the BOS and every turn after the oldest. */
  private void dropOldestTurn() {
    turnStarts.remove(0);
    if (turnStarts.isEmpty()) {
      history = new int[0];
      return;
    }
    int cut = turnStarts.get(0);
    int[] kept = new int[1 + history.length - cut];
    kept[0] = history[0]; // BOS
    System.arraycopy(history, cut, kept, 1, history.length - cut);
    history = kept;
    for (int i = 0; i < turnStarts.size(); i++) {
      turnStarts.set(i, turnStarts.get(i) - cut + 1);
    }
    turnStarts.set(0, 0);
  }

  /** Records the full sequence the sampler returned (prompt + answer) as the new history. */
  public void accept(int[] sequence) {
    int eos = tokenizer.eosId();
    // EOS never occurs inside the kept history, so the new turn still starts where its prompt did
    history = Arrays.stream(sequence).filter(t -> t != eos).toArray();
    turnStarts.add(pendingStart);
  }

  /** The conversation so far, EOS-free. */
  public int[] history() {
    return history.clone();
  }
}

package dev.llada.core.training;

import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The rule shared by training and evaluation for a task's row length, its "canvas" (the sampler's
 * canvas, mdm-training-probe §5): for chat rows the longest templated prompt plus the task's answer
 * slots; for plain pre-training rows BOS, the longest question-and-answer text, EOS and two slots
 * of slack. The longest is taken over 2,000 items from a fixed seed, so both sides agree.
 */
public final class Canvas {

  private Canvas() {}

  /** A question as an Instruct prompt: the chat template with one user message. */
  public static int[] chatPrompt(LladaTokenizer tokenizer, String question) {
    return tokenizer.encode(
        ChatTemplate.render(List.of(new ChatTemplate.Message("user", question))));
  }

  /**
   * The response as trained (llada-spec §5.2): the answer, its terminator ({@code <|eot_id|>} on
   * chat rows where the tokenizer has one, EOS otherwise), then EOS padding up to {@code slots}
   * positions; never shorter than answer and terminator.
   */
  public static int[] response(LladaTokenizer tokenizer, int[] answer, boolean chat, int slots) {
    int eos = tokenizer.eosId();
    int[] out = new int[Math.max(answer.length + 1, slots)];
    System.arraycopy(answer, 0, out, 0, answer.length);
    out[answer.length] = chat && tokenizer.eotId() >= 0 ? tokenizer.eotId() : eos;
    java.util.Arrays.fill(out, answer.length + 1, out.length, eos);
    return out;
  }

  /** Row length of {@code task} for chat ({@code true}) or plain rows. */
  public static int length(Task task, LladaTokenizer tokenizer, boolean chat) {
    SplittableRandom r = new SplittableRandom(12345);
    int longest = 0;
    for (int i = 0; i < 2000; i++) {
      Example e = task.sample(r);
      int length =
          chat
              ? chatPrompt(tokenizer, e.question()).length + task.genLength()
              : 1 + tokenizer.encode(e.text()).length + 1 + 2;
      longest = Math.max(longest, length);
    }
    return longest;
  }
}

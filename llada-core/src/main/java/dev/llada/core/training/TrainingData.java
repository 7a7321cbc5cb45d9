package dev.llada.core.training;

import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Training rows, a deterministic function of (seed, step, micro-batch): the same step always gets
 * the same rows, which is what makes resuming exact. Each micro-batch holds one task, on that
 * task's fixed canvas (its longest prompt plus its answer slots), the sampler's canvas
 * (mdm-training-probe §5); only training-split questions are used.
 *
 * <p>SFT rows: the chat-templated question (never masked), then answer, EoT and EOS padding (all
 * maskable, llada-spec §5.2). Pre-training rows: BOS, question, answer, EOS, EOS padding, all
 * maskable (§5.1).
 */
final class TrainingData {

  /**
   * A micro-batch: token rows of one length, which positions may be masked, answer lengths (SFT:
   * everything after the prompt, padding included, §5.2) and where each row's EOS padding starts
   * (after the answer and its terminator; the row's length when there is none).
   */
  record Batch(
      String task, int[][] tokens, boolean[][] maskable, int[] answerLength, int[] paddingFrom) {}

  private final Recipe recipe;
  private final LladaTokenizer tokenizer;
  private final List<Task> tasks = new ArrayList<>();
  private final double[] cumulative;
  private final Map<String, Integer> canvas = new LinkedHashMap<>();

  TrainingData(Recipe recipe, LladaTokenizer tokenizer) {
    this.recipe = recipe;
    this.tokenizer = tokenizer;
    double total = 0;
    cumulative = new double[recipe.tasks().size()];
    int i = 0;
    for (Map.Entry<String, Double> e : recipe.tasks().entrySet()) {
      Task task = Tasks.get(e.getKey());
      tasks.add(task);
      total += e.getValue();
      cumulative[i++] = total;
      canvas.put(
          task.name(), Canvas.length(task, tokenizer, recipe.objective() == Recipe.Objective.SFT));
    }
    for (int j = 0; j < cumulative.length; j++) {
      cumulative[j] /= total;
    }
    for (Map.Entry<String, Integer> e : canvas.entrySet()) {
      if (e.getValue() > recipe.model().maxSequenceLength()) {
        throw new IllegalArgumentException(
            "task "
                + e.getKey()
                + " needs rows of "
                + e.getValue()
                + " tokens, more than model.max_sequence_length "
                + recipe.model().maxSequenceLength());
      }
    }
  }

  private int[] prompt(Example e) {
    return Canvas.chatPrompt(tokenizer, e.question());
  }

  static SplittableRandom random(long seed, int step, int micro, long stream) {
    return new SplittableRandom(
        seed * 0x9E3779B97F4A7C15L + step * 1_000_003L + micro * 7919L + stream);
  }

  Batch batch(int step, int micro) {
    SplittableRandom r = random(recipe.seed(), step, micro, 1);
    double u = r.nextDouble();
    int t = 0;
    while (t < cumulative.length - 1 && u >= cumulative[t]) {
      t++;
    }
    Task task = tasks.get(t);
    int length = canvas.get(task.name());
    int rows = recipe.train().rows(length);
    int[][] tokens = new int[rows][length];
    boolean[][] maskable = new boolean[rows][length];
    int[] answerLength = new int[rows];
    int[] paddingFrom = new int[rows];
    int eos = tokenizer.eosId();
    for (int row = 0; row < rows; row++) {
      Example e = task.next(r, false);
      int[] head;
      int[] body;
      if (recipe.objective() == Recipe.Objective.SFT) {
        head = prompt(e);
        body = Canvas.response(tokenizer, tokenizer.encode(e.answer()), true, length - head.length);
      } else {
        head = new int[0];
        int[] text = tokenizer.encode(e.text());
        body = new int[text.length + 2];
        body[0] = tokenizer.bosId();
        System.arraycopy(text, 0, body, 1, text.length);
        body[text.length + 1] = eos;
      }
      if (head.length + body.length > length) {
        throw new IllegalStateException(
            task.name()
                + ": a row of "
                + (head.length + body.length)
                + " tokens exceeds its canvas "
                + length);
      }
      System.arraycopy(head, 0, tokens[row], 0, head.length);
      System.arraycopy(body, 0, tokens[row], head.length, body.length);
      for (int i = head.length + body.length; i < length; i++) {
        tokens[row][i] = eos; // EOS padding is part of the answer
      }
      for (int i = head.length; i < length; i++) {
        maskable[row][i] = true;
      }
      answerLength[row] = length - head.length;
      paddingFrom[row] =
          recipe.objective() == Recipe.Objective.SFT
              ? head.length + tokenizer.encode(e.answer()).length + 1
              : length;
    }
    return new Batch(task.name(), tokens, maskable, answerLength, paddingFrom);
  }
}

package dev.llada.core.eval;

import dev.llada.core.likelihood.LogLikelihood;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.Canvas;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Scores a model on held-out items of the task suite. Generation uses the reference sampler at
 * temperature 0 with one token per step on the task's training canvas (its longest prompt plus its
 * answer slots), items of equal prompt length batched together. Exact match compares the
 * completion, special tokens dropped and whitespace trimmed, with the answer.
 */
public final class Evaluation {

  /** Prompt format: chat-templated (Instruct) or plain text (Base, as pre-trained). */
  public enum Format {
    CHAT,
    PLAIN
  }

  /**
   * What multiple choice scores after the prompt. {@code ANSWER} is the bare continuation, as
   * {@code get_log_likelihood.py} and lm-eval score it (llada-spec §3). {@code RESPONSE} is the
   * option as the model was trained to produce it on the task's canvas: the answer, its terminator
   * ({@code <|eot_id|>} for chat, EOS for plain rows) and the EOS padding that fills the canvas
   * (§5.2: the padding is part of the response). Every option of an item then has the same length,
   * so no option wins by being shorter, and a prefix of the right answer is not the right answer.
   */
  public enum Continuation {
    ANSWER,
    RESPONSE
  }

  /** One task's scores. */
  public record TaskScore(
      String task,
      int n,
      int correct,
      double accuracy,
      double ciLow,
      double ciHigh,
      double mcAccuracy,
      int nfe,
      double wallSeconds,
      List<String[]> samples) {}

  private final MaskPredictor model;
  private final LladaTokenizer tokenizer;
  private final Format format;
  private final Continuation continuation;

  public Evaluation(MaskPredictor model, LladaTokenizer tokenizer, Format format) {
    this(model, tokenizer, format, Continuation.RESPONSE);
  }

  public Evaluation(
      MaskPredictor model, LladaTokenizer tokenizer, Format format, Continuation continuation) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.format = format;
    this.continuation = continuation;
  }

  private Acceleration acceleration;

  /** Generates with the {@link FastSampler} and these switches instead of B0. */
  public Evaluation accelerated(Acceleration switches) {
    this.acceleration = switches;
    return this;
  }

  /** The ids multiple choice scores for {@code option} after a prompt of {@code promptLength}. */
  int[] continuation(String option, int promptLength, int canvas) {
    int[] answer = tokenizer.encode(option);
    return continuation == Continuation.ANSWER
        ? answer
        : Canvas.response(tokenizer, answer, format == Format.CHAT, slots(canvas, promptLength));
  }

  /** Answer slots after a prompt of {@code promptLength} on the canvas (within the context). */
  private int slots(int canvas, int promptLength) {
    return Math.min(canvas, model.config().maxSequenceLength()) - promptLength;
  }

  int[] prompt(Example e) {
    if (format == Format.CHAT) {
      return Canvas.chatPrompt(tokenizer, e.question());
    }
    int[] text = tokenizer.encode(e.question() + " ");
    int[] out = new int[text.length + 1];
    out[0] = tokenizer.bosId();
    System.arraycopy(text, 0, out, 1, text.length);
    return out;
  }

  /**
   * What the model answered on {@code n} held-out items of {@code task}.
   *
   * @param outputs the completion of each item up to its first EOS or EoT, special tokens dropped
   *     and whitespace trimmed
   * @param canvas the task's training canvas
   */
  public record Answers(
      List<Example> items, int[][] prompts, String[] outputs, int canvas, int nfe) {

    /** Whether item {@code i} was answered right. */
    public boolean correct(Task task, int i) {
      return task.accepts(items.get(i), outputs[i]);
    }
  }

  /** Generates the answers of {@code n} held-out items of {@code task} (the items of seed). */
  public Answers answer(Task task, int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Example> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(task.next(random, true));
    }
    int canvas = Canvas.length(task, tokenizer, format == Format.CHAT); // as trained
    Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
    int[][] prompts = new int[n][];
    for (int i = 0; i < n; i++) {
      prompts[i] = prompt(items.get(i));
      byLength.computeIfAbsent(prompts[i].length, k -> new ArrayList<>()).add(i);
    }
    SpecialTokens special = SpecialTokens.of(model.config(), tokenizer);
    Sampler sampler =
        acceleration == null
            ? new ReferenceSampler(model, special)
            : new FastSampler(model, special, acceleration);
    String[] outputs = new String[n];
    int nfe = 0;
    for (Map.Entry<Integer, List<Integer>> group : byLength.entrySet()) {
      int gen = Math.max(1, slots(canvas, group.getKey()));
      SamplingConfig config =
          new SamplingConfig(gen, gen, gen, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
      List<Integer> members = group.getValue();
      for (int from = 0; from < members.size(); from += 32) {
        List<Integer> chunk = members.subList(from, Math.min(members.size(), from + 32));
        int[][] batch = chunk.stream().map(i -> prompts[i]).toArray(int[][]::new);
        Generation g = sampler.generate(batch, null, config, new SplittableRandom(0), e -> {});
        nfe += g.nfe();
        for (int r = 0; r < chunk.size(); r++) {
          // the answer ends at the first EOS or EoT, as the platform returns it
          outputs[chunk.get(r)] = tokenizer.decode(g.answer(r, special), true).strip();
        }
      }
    }
    return new Answers(items, prompts, outputs, canvas, nfe);
  }

  /**
   * Scores {@code n} held-out items of {@code task}.
   *
   * @param mcSamples Monte Carlo samples per option for multiple choice (0 skips it)
   */
  public TaskScore score(Task task, int n, long seed, int mcSamples) {
    long start = System.nanoTime();
    Answers answers = answer(task, n, seed);
    List<Example> items = answers.items();
    String[] outputs = answers.outputs();
    int[][] prompts = answers.prompts();
    int canvas = answers.canvas();
    int nfe = answers.nfe();
    int correct = 0;
    List<String[]> samples = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (task.accepts(items.get(i), outputs[i])) {
        correct++;
      }
      if (samples.size() < 3) {
        samples.add(new String[] {items.get(i).question(), items.get(i).answer(), outputs[i]});
      }
    }
    double mc = Double.NaN;
    if (mcSamples > 0) {
      int right = 0;
      LogLikelihood ll = new LogLikelihood(model);
      for (int i = 0; i < n; i++) {
        Example e = items.get(i);
        List<String> options = new ArrayList<>();
        options.add(e.answer());
        options.addAll(e.distractors());
        double best = Double.NEGATIVE_INFINITY;
        int bestIndex = -1;
        for (int o = 0; o < options.size(); o++) {
          int[] answer = continuation(options.get(o), prompts[i].length, canvas);
          double score =
              ll.estimate(
                      prompts[i], answer, mcSamples, mcSamples, 0, new SplittableRandom(seed + i))
                  .logLikelihood();
          nfe += 1;
          if (score > best) {
            best = score;
            bestIndex = o;
          }
        }
        if (bestIndex == 0) {
          right++;
        }
      }
      mc = (double) right / n;
    }
    double[] ci = Wilson.interval(correct, n);
    return new TaskScore(
        task.name(),
        n,
        correct,
        (double) correct / n,
        ci[0],
        ci[1],
        mc,
        nfe,
        (System.nanoTime() - start) / 1e9,
        samples);
  }

  /** A Markdown table of scores. */
  public static String markdown(List<TaskScore> scores) {
    StringBuilder s = new StringBuilder();
    s.append("| task | n | exact match | 95 % CI (Wilson) | multiple choice | NFE | wall |\n");
    s.append("|---|---|---|---|---|---|---|\n");
    for (TaskScore t : scores) {
      s.append(
          String.format(
              "| %s | %d | %.1f %% | %.1f–%.1f %% | %s | %d | %.1f s |%n",
              t.task(),
              t.n(),
              100 * t.accuracy(),
              100 * t.ciLow(),
              100 * t.ciHigh(),
              Double.isNaN(t.mcAccuracy()) ? "–" : String.format("%.1f %%", 100 * t.mcAccuracy()),
              t.nfe(),
              t.wallSeconds()));
    }
    return s.toString();
  }
}

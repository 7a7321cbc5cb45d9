package dev.llada.vrpo;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.Canvas;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Preference pairs from the model itself (issue #18 item 4, the on-policy data LLaDA 1.5 aligns
 * on): for each training-split question of a task, {@code k} answers sampled at temperature T with
 * the reference sampler on the task's chat canvas (one token per step, low-confidence remasking, as
 * the evaluation generates); chosen = the first correct sample, or the gold answer when none of the
 * k is; rejected = the first incorrect, non-empty sample. A question whose k samples are all
 * correct gives no pair: there is nothing to prefer against.
 */
public final class OnPolicyPairs {

  /** One task's harvest: the sample accuracy and how its pairs were made. */
  public record TaskHarvest(
      String task,
      int questions,
      int samples,
      int correctSamples,
      int noneCorrect,
      int allCorrect,
      int noUsableRejected,
      int goldPairs,
      List<String> lines) {

    /** The fraction of the k samples per question that were correct. */
    public double sampleAccuracy() {
      return samples == 0 ? 0 : (double) correctSamples / samples;
    }

    /** The fraction of questions with at least one correct sample (pass@k). */
    public double passAtK() {
      return questions == 0 ? 0 : 1.0 - (double) noneCorrect / questions;
    }

    /** Pairs written. */
    public int pairs() {
      return lines.size();
    }
  }

  private final MaskPredictor model;
  private final LladaTokenizer tokenizer;
  private final SpecialTokens special;

  public OnPolicyPairs(MaskPredictor model, LladaTokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.special = SpecialTokens.of(model.config(), tokenizer);
  }

  /**
   * Samples {@code questions} distinct training questions of {@code task}, {@code k} answers each.
   */
  public TaskHarvest harvest(Task task, int questions, int k, double temperature, long seed) {
    if (questions < 1 || k < 2) {
      throw new IllegalArgumentException("need at least 1 question and k >= 2 samples");
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("on-policy sampling needs a temperature > 0");
    }
    SplittableRandom items = new SplittableRandom(seed);
    SplittableRandom noise = new SplittableRandom(seed ^ 0x5DEECE66DL);
    int canvas = Math.min(Canvas.length(task, tokenizer, true), model.config().maxSequenceLength());
    ReferenceSampler sampler = new ReferenceSampler(model, special);
    Set<String> asked = new HashSet<>();
    List<String> lines = new ArrayList<>();
    int samples = 0;
    int correct = 0;
    int none = 0;
    int allCorrect = 0;
    int noRejected = 0;
    int goldPairs = 0;
    Gson gson = new Gson();
    for (int q = 0, attempts = 0; q < questions; attempts++) {
      if (attempts > 100 * questions) {
        break; // the task has fewer distinct training questions than asked for
      }
      Example e = task.next(items, false);
      if (!asked.add(e.question())) {
        continue;
      }
      q++;
      int[] prompt = Canvas.chatPrompt(tokenizer, e.question());
      int gen = Math.max(1, canvas - prompt.length);
      int[][] batch = new int[k][];
      for (int i = 0; i < k; i++) {
        batch[i] = prompt;
      }
      SamplingConfig config =
          new SamplingConfig(gen, gen, gen, temperature, 0, Remasking.LOW_CONFIDENCE, false, false);
      Generation g = sampler.generate(batch, null, config, noise, ev -> {});
      String chosen = null;
      String rejected = null;
      int wrong = 0;
      for (int i = 0; i < k; i++) {
        String out = tokenizer.decode(g.answer(i, special), true).strip();
        samples++;
        if (task.accepts(e, out)) {
          correct++;
          if (chosen == null) {
            chosen = out;
          }
        } else {
          wrong++;
          if (rejected == null && !out.isEmpty()) {
            rejected = out;
          }
        }
      }
      String source = "sample";
      if (chosen == null) {
        chosen = e.answer();
        source = "gold";
        none++;
      }
      if (rejected == null) {
        if (wrong == 0) {
          allCorrect++;
        } else {
          noRejected++; // every wrong sample was empty
        }
        continue;
      }
      if (source.equals("gold")) {
        goldPairs++;
      }
      JsonObject row = new JsonObject();
      row.addProperty("prompt", e.question());
      row.addProperty("chosen", chosen);
      row.addProperty("rejected", rejected);
      row.addProperty("task", task.name());
      row.addProperty("chosen_from", source);
      lines.add(gson.toJson(row));
    }
    return new TaskHarvest(
        task.name(),
        asked.size(),
        samples,
        correct,
        none,
        allCorrect,
        noRejected,
        goldPairs,
        lines);
  }
}

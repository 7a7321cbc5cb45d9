package dev.llada.core.eval;

import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.VisionTrainer;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.ShapeScenes;
import dev.llada.core.vision.VisionModel;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Held-out accuracy of a LLaDA-V model on the visual task suite (issue #20): {@code n} held-out
 * items of every question category (a fixed, equal mix), each asked as LLaDA-V's single-image
 * prompt, answered with the reference sampler at temperature 0, one token per step, on the training
 * canvas (as {@link Evaluation} does for text), and scored by exact match of the completion up to
 * its first EOS or EoT, special tokens dropped and whitespace trimmed.
 */
public final class VisionEvaluation {

  /** One category's score. */
  public record CategoryScore(
      String category,
      int n,
      int correct,
      double accuracy,
      double ciLow,
      double ciHigh,
      int nfe,
      double wallSeconds,
      List<String[]> samples) {}

  /** Every category's score and the mix's. */
  public record Report(List<CategoryScore> categories, int n, int correct, double accuracy) {

    /** The lowest category accuracy. */
    public double worst() {
      return categories.stream().mapToDouble(CategoryScore::accuracy).min().orElse(Double.NaN);
    }
  }

  private final VisionModel model;
  private final LladaTokenizer tokenizer;

  public VisionEvaluation(VisionModel model, LladaTokenizer tokenizer) {
    this.model = model;
    this.tokenizer = tokenizer;
  }

  /** Scores {@code n} held-out items of each of {@code categories} (the items of {@code seed}). */
  public Report score(List<ShapeScenes.Category> categories, int n, long seed) {
    ShapeScenes scenes = new ShapeScenes(model.config().vision().imageSize());
    int per = model.tokensPerImage();
    int canvas = VisionTrainer.canvas(tokenizer, scenes, per);
    SpecialTokens special = SpecialTokens.of(model.predictor().config(), tokenizer);
    List<CategoryScore> scores = new ArrayList<>();
    int correct = 0;
    int total = 0;
    for (ShapeScenes.Category category : categories) {
      long start = System.nanoTime();
      SplittableRandom random = new SplittableRandom(seed * 31 + category.ordinal());
      List<ShapeScenes.Item> items = new ArrayList<>();
      List<ImagePrompt> prompts = new ArrayList<>();
      Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        ShapeScenes.Item item = scenes.next(category, random, true);
        items.add(item);
        ImagePrompt p = ImagePrompt.question(tokenizer, item.question(), per, tokenizer.eosId());
        prompts.add(p);
        byLength.computeIfAbsent(p.ids().length, k -> new ArrayList<>()).add(i);
      }
      String[] outputs = new String[n];
      int nfe = 0;
      for (Map.Entry<Integer, List<Integer>> group : byLength.entrySet()) {
        int gen = Math.max(1, canvas - group.getKey());
        SamplingConfig config =
            new SamplingConfig(gen, gen, gen, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
        List<Integer> members = group.getValue();
        for (int from = 0; from < members.size(); from += 32) {
          List<Integer> chunk = members.subList(from, Math.min(members.size(), from + 32));
          int[][] batch = chunk.stream().map(i -> prompts.get(i).ids()).toArray(int[][]::new);
          List<ImagePrompt> rowPrompts = chunk.stream().map(prompts::get).toList();
          List<List<BufferedImage>> images =
              chunk.stream().map(i -> List.of(items.get(i).image())).toList();
          try (VisionModel.Prepared prepared =
              model.prepare(rowPrompts, images, new int[chunk.size()])) {
            Generation g =
                new ReferenceSampler(prepared.predictor(), special)
                    .generate(batch, null, config, new SplittableRandom(0), e -> {});
            nfe += g.nfe();
            for (int r = 0; r < chunk.size(); r++) {
              outputs[chunk.get(r)] = tokenizer.decode(g.answer(r, special), true).strip();
            }
          }
        }
      }
      int right = 0;
      List<String[]> samples = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        ShapeScenes.Item item = items.get(i);
        if (outputs[i].equals(item.answer())) {
          right++;
        }
        if (samples.size() < 5) {
          samples.add(new String[] {item.question(), item.answer(), outputs[i]});
        }
      }
      double[] ci = Wilson.interval(right, n);
      scores.add(
          new CategoryScore(
              category.id(),
              n,
              right,
              (double) right / n,
              ci[0],
              ci[1],
              nfe,
              (System.nanoTime() - start) / 1e9,
              Collections.unmodifiableList(samples)));
      correct += right;
      total += n;
    }
    return new Report(List.copyOf(scores), total, correct, (double) correct / total);
  }

  /** The report as a Markdown table. */
  public static String markdown(Report report) {
    StringBuilder s = new StringBuilder();
    s.append("| category | n | exact match | 95 % CI (Wilson) | NFE | wall |\n");
    s.append("|---|---:|---:|---:|---:|---:|\n");
    for (CategoryScore c : report.categories()) {
      s.append(
          String.format(
              java.util.Locale.ROOT,
              "| %s | %d | %.1f %% | %.1f–%.1f %% | %d | %.1f s |%n",
              c.category(),
              c.n(),
              100 * c.accuracy(),
              100 * c.ciLow(),
              100 * c.ciHigh(),
              c.nfe(),
              c.wallSeconds()));
    }
    double[] ci = Wilson.interval(report.correct(), report.n());
    s.append(
        String.format(
            java.util.Locale.ROOT,
            "| **mix** | %d | **%.1f %%** | %.1f–%.1f %% | | |%n",
            report.n(),
            100 * report.accuracy(),
            100 * ci[0],
            100 * ci[1]));
    return s.toString();
  }
}

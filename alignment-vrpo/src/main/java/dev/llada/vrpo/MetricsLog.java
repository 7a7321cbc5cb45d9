package dev.llada.vrpo;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** A VRPO run's {@code metrics.jsonl} and its progress bar. */
final class MetricsLog {

  private final Path metrics;
  private final String name;
  private final PrintStream progress;

  MetricsLog(Path metrics, String name, PrintStream progress) {
    this.metrics = metrics;
    this.name = name;
    this.progress = progress;
  }

  /** Appends the step's row and prints its progress line. */
  void log(VrpoTrainer.Progress p, int start) throws IOException {
    JsonObject row = new JsonObject();
    row.addProperty("step", p.step());
    row.addProperty("loss", p.loss());
    row.addProperty("reward_margin", p.rewardMargin());
    row.addProperty("preference_accuracy", p.preferenceAccuracy());
    if (Double.isFinite(p.scoreVariance())) {
      row.addProperty("score_variance", p.scoreVariance());
    }
    row.addProperty("kl_ref_policy", p.klToReference());
    row.addProperty("lr", p.lr());
    row.addProperty("grad_norm", p.gradNorm());
    row.addProperty("tokens", p.tokens());
    row.addProperty("tokens_per_s", Math.round(p.tokensPerSecond()));
    row.addProperty("elapsed_s", Math.round(p.elapsedSeconds() * 10) / 10.0);
    Files.writeString(
        metrics,
        new Gson().toJson(row) + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    int width = 24;
    int filled = (int) Math.round(width * (double) p.step() / p.steps());
    double eta = (p.steps() - p.step()) * p.elapsedSeconds() / Math.max(1, p.step() - start);
    progress.printf(
        "[%s] [%s%s] %d/%d  loss %.4f  margin %+.3f  acc %.2f  KL %.4f  |g| %.3f  %,d tok/s  ETA"
            + " %dm%02ds%n",
        name,
        "#".repeat(filled),
        ".".repeat(width - filled),
        p.step(),
        p.steps(),
        p.loss(),
        p.rewardMargin(),
        p.preferenceAccuracy(),
        p.klToReference(),
        p.gradNorm(),
        Math.round(p.tokensPerSecond()),
        (long) eta / 60,
        (long) eta % 60);
  }

  /** Keeps the metrics rows up to {@code step}: those after it are about to be recomputed. */
  void truncate(int step) throws IOException {
    if (!Files.exists(metrics)) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      try {
        JsonObject row = new Gson().fromJson(line, JsonObject.class);
        if (row != null && row.get("step").getAsInt() <= step) {
          kept.add(line);
        }
      } catch (RuntimeException torn) {
        // a line cut by the kill
      }
    }
    Files.write(metrics, kept, StandardCharsets.UTF_8);
  }
}

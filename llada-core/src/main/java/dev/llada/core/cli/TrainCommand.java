package dev.llada.core.cli;

import dev.llada.core.training.Recipe;
import dev.llada.core.training.Trainer;
import dev.llada.core.training.TrainingDivergedException;
import dev.llada.core.training.VisionRecipe;
import dev.llada.core.training.VisionTrainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "train",
    description =
        "Train from a JSON recipe; resumes from the newest checkpoint in the output directory.")
final class TrainCommand implements Callable<Integer> {

  static final int DIVERGED = LladaCli.DIVERGED;

  @Option(names = "--recipe", required = true, paramLabel = "FILE", description = "recipe JSON")
  Path recipe;

  @Option(
      names = "--base-dir",
      paramLabel = "DIR",
      description =
          "directory that relative paths in the recipe start from (default: the current one)")
  Path baseDir;

  @Option(
      names = "--export",
      paramLabel = "DIR",
      description =
          "instead of training: write the newest checkpoint's model to DIR (to evaluate a run in"
              + " progress)")
  Path export;

  /** Whether the recipe file is a vision recipe (Recipe.read reports every other problem). */
  private static boolean isVision(Path file) {
    try {
      return VisionRecipe.isVision(
          com.google.gson.JsonParser.parseString(Recipe.text(file)).getAsJsonObject());
    } catch (RuntimeException e) {
      return false;
    }
  }

  @Override
  public Integer call() {
    Path base = baseDir != null ? baseDir : Path.of("").toAbsolutePath();
    if (isVision(recipe)) { // a LLaDA-V recipe (issue #20): its own trainer
      VisionRecipe v = VisionRecipe.read(recipe, base);
      if (export != null) {
        int step = new VisionTrainer(v, System.err).exportLatest(export);
        System.err.println("llada: exported step " + step + " of " + v.name() + " to " + export);
        return 0;
      }
      try {
        new VisionTrainer(v, System.err).run();
        return 0;
      } catch (TrainingDivergedException e) {
        System.err.println("llada: " + e.getMessage());
        return DIVERGED;
      }
    }
    Recipe r = Recipe.read(recipe, base);
    if (export != null) {
      int step = new Trainer(r, System.err).exportLatest(export);
      System.err.println("llada: exported step " + step + " of " + r.name() + " to " + export);
      return 0;
    }
    try {
      new Trainer(r, System.err).run();
      return 0;
    } catch (TrainingDivergedException e) {
      System.err.println("llada: " + e.getMessage());
      return DIVERGED;
    }
  }
}

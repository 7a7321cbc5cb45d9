package dev.llada.vrpo.cli;

import dev.llada.core.cli.LladaCli;
import dev.llada.core.training.TrainingDivergedException;
import dev.llada.vrpo.VrpoRecipe;
import dev.llada.vrpo.VrpoTrainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "vrpo",
    description =
        "VRPO preference training from a JSON recipe (metrics.jsonl and checkpoints in its output);"
            + " resumes from the newest checkpoint. SIGINT/SIGTERM stop after the current pair and"
            + " checkpoint the last complete step.")
final class VrpoCommand implements Callable<Integer> {

  @Option(names = "--recipe", required = true, paramLabel = "FILE", description = "recipe JSON")
  Path recipe;

  @Option(
      names = "--base-dir",
      paramLabel = "DIR",
      description =
          "directory that relative paths in the recipe start from (default: the current one)")
  Path baseDir;

  @Override
  public Integer call() {
    VrpoRecipe r =
        VrpoRecipe.read(recipe, baseDir != null ? baseDir : Path.of("").toAbsolutePath());
    AtomicBoolean cancel = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    // not a join on the main thread: it calls System.exit afterwards, which waits for the hooks
    Thread hook =
        new Thread(
            () -> {
              cancel.set(true);
              try {
                finished.await(60, TimeUnit.SECONDS); // let the run write its checkpoint
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      VrpoTrainer.Result result = new VrpoTrainer(r, System.err, p -> {}, cancel::get).run();
      return result.cancelled() ? 130 : 0;
    } catch (TrainingDivergedException e) {
      System.err.println("llada: " + e.getMessage());
      return LladaCli.DIVERGED;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waits for this thread
      }
    }
  }
}

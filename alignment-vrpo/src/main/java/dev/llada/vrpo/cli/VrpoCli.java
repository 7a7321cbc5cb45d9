package dev.llada.vrpo.cli;

import dev.llada.core.config.ModelFormatException;
import dev.llada.vrpo.PreferenceDataException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The VRPO commands of {@code bin/llada} (which hands {@code vrpo*} here): {@code vrpo} trains from
 * a recipe, {@code vrpo-pairs} samples on-policy preference pairs, {@code vrpo-variance} measures
 * the ELBO estimator's variance. Exit codes as {@code llada}'s: 2 for impossible arguments or a bad
 * recipe or dataset, 3 for unusable model files, 4 for a diverged run, 1 for anything else.
 */
@Command(
    name = "llada",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT,
    version = "llada 0.1.0",
    description = "VRPO preference alignment of LLaDA models (llada-spec §6).",
    subcommands = {
      VrpoCommand.class,
      PairsCommand.class,
      VarianceCommand.class,
      CompareCommand.class
    })
public final class VrpoCli implements Runnable {

  static final int USAGE = 2;
  static final int BAD_MODEL = 3;
  static final int DIVERGED = 4;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name a command: vrpo, vrpo-pairs, vrpo-variance or vrpo-compare");
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs one command line; returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    Logger root = Logger.getLogger("");
    root.setLevel(Level.WARNING);
    for (var handler : root.getHandlers()) {
      handler.setLevel(Level.WARNING);
    }
    Logger.getLogger("ai.djl.util.cuda.CudaUtils").setLevel(Level.SEVERE);
    CommandLine cli = new CommandLine(new VrpoCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setParameterExceptionHandler(
        (e, ignored) -> {
          err.println("llada: " + e.getMessage() + " (try --help)");
          return USAGE;
        });
    cli.setExecutionExceptionHandler(
        (e, command, parsed) -> {
          err.println("llada: " + message(e));
          if (System.getenv("LLADA_DEBUG") != null) {
            e.printStackTrace(err);
          }
          if (e instanceof ModelFormatException) {
            return BAD_MODEL;
          }
          return e instanceof IllegalArgumentException || e instanceof PreferenceDataException
              ? USAGE
              : 1;
        });
    return cli.execute(args);
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      Throwable cause = e.getCause();
      return cause != null ? message(cause) : e.getClass().getSimpleName();
    }
    return m;
  }
}

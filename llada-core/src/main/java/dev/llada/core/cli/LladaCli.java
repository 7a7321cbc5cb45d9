package dev.llada.core.cli;

import dev.llada.core.config.ModelFormatException;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code llada}: inspect, run and cross-check LLaDA models from the command line. Bad input gives
 * one line on stderr and a non-zero exit: 2 for impossible arguments, 3 for unusable model files, 1
 * for anything else.
 */
@Command(
    name = "llada",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // every subcommand answers --help, before its checks
    version = "llada 0.1.0",
    description = {
      "Inspect, run and cross-check LLaDA masked diffusion language models.",
      "VRPO preference alignment: bin/llada vrpo | vrpo-pairs | vrpo-variance --help"
    },
    subcommands = {
      InspectCommand.class,
      GenerateCommand.class,
      ChatCommand.class,
      LoglikCommand.class,
      LogitsCommand.class,
      BenchCommand.class,
      MoeBenchCommand.class,
      TrainCommand.class,
      EvalCommand.class,
      EvalVisionCommand.class
    })
public final class LladaCli implements Runnable {

  static final int USAGE = 2;
  static final int BAD_MODEL = 3;

  /** The exit code of a training run whose loss or gradient turned NaN. */
  public static final int DIVERGED = 4;

  /** Where subcommands read and write; set per run so tests can capture them. */
  static final class Io {
    final BufferedReader in;
    final PrintStream out;
    final PrintStream err;

    Io(InputStream in, PrintStream out, PrintStream err) {
      this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      this.out = out;
      this.err = err;
    }
  }

  static Io io = new Io(System.in, System.out, System.err);

  private static final Logger CUDA_LOG = Logger.getLogger("ai.djl.util.cuda.CudaUtils");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "name a command: inspect, generate, chat, loglik, logits, bench, bench-moe, train or eval");
  }

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs one command line; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    io = new Io(in, out, err);
    return execute(new LladaCli(), args, out, err);
  }

  /**
   * Runs {@code root} (a picocli command) on one command line with llada's conventions: warnings
   * only in the log, one line on stderr for bad input, exit 2 for impossible arguments (any {@link
   * IllegalArgumentException}), 3 for unusable model files, 1 for anything else. Other command
   * lines of the project (alignment-vrpo's) run through it too.
   */
  public static int execute(Object root, String[] args, PrintStream out, PrintStream err) {
    quietLogging();
    CommandLine cli = new CommandLine(root);
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
          return e instanceof IllegalArgumentException ? USAGE : 1;
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

  /** DJL logs engine details at INFO through java.util.logging; a CLI shows warnings only. */
  private static void quietLogging() {
    Logger root = Logger.getLogger("");
    root.setLevel(Level.WARNING);
    for (var handler : root.getHandlers()) {
      handler.setLevel(Level.WARNING);
    }
    // on a machine with CUDA libraries but no driver DJL warns at every engine start
    CUDA_LOG.setLevel(Level.SEVERE);
  }
}

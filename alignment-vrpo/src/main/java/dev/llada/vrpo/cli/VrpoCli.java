package dev.llada.vrpo.cli;

import dev.llada.core.cli.LladaCli;
import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The VRPO commands of {@code bin/llada} (which hands {@code vrpo*} here): {@code vrpo} trains from
 * a recipe, {@code vrpo-pairs} samples on-policy preference pairs, {@code vrpo-variance} measures
 * the ELBO estimator's variance, {@code vrpo-compare} compares models on held-out items. Exit codes
 * as {@code llada}'s ({@link LladaCli#execute}): 2 for impossible arguments or a bad recipe or
 * dataset, 3 for unusable model files, 4 for a diverged run, 1 for anything else.
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
    return LladaCli.execute(new VrpoCli(), args, out, err);
  }
}

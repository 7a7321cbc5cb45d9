package dev.llada.vrpo.cli;

import ai.djl.Device;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.LladaNetwork;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.vrpo.ElboBudget;
import dev.llada.vrpo.PreferenceData;
import dev.llada.vrpo.PreferencePair;
import dev.llada.vrpo.VarianceStudy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "vrpo-variance",
    description =
        "The ELBO estimator's variance study (LLaDA 1.5 Table 2): Var(score), Var(loss) and"
            + " Var(grad) per (n_t, n_yt, antithetic) over repeated Monte Carlo estimates.")
final class VarianceCommand implements Callable<Integer> {

  @Option(names = "--policy", required = true, paramLabel = "DIR", description = "policy model")
  Path policy;

  @Option(names = "--reference", required = true, paramLabel = "DIR")
  Path reference;

  @Option(names = "--data", required = true, paramLabel = "FILE", description = "pairs JSONL")
  Path data;

  @Option(names = "--pairs", defaultValue = "128")
  int pairs;

  @Option(names = "--repeats", defaultValue = "8")
  int repeats;

  @Option(names = "--batch", defaultValue = "16")
  int batch;

  @Option(names = "--beta", defaultValue = "0.2")
  double beta;

  @Option(
      names = "--configs",
      defaultValue = "1,1,t;4,1,t;8,1,t;1,4,t;2,2,t;4,1,f",
      description = "n_t,n_yt,antithetic(t|f) triples separated by ';' (default: Table 2's)")
  String configs;

  @Option(names = "--seed", defaultValue = "5")
  long seed;

  @Option(names = "--markdown", paramLabel = "FILE", description = "also write the table to FILE")
  Path markdown;

  @Override
  public Integer call() throws Exception {
    List<ElboBudget> budgets = new ArrayList<>();
    for (String c : configs.split(";")) {
      String[] f = c.trim().split(",");
      if (f.length != 3 || !(f[2].equals("t") || f[2].equals("f"))) {
        throw new IllegalArgumentException(
            "--configs: '" + c + "' is not n_t,n_yt,t|f (e.g. 8,1,t)");
      }
      try {
        budgets.add(
            new ElboBudget(
                Integer.parseInt(f[0].trim()), Integer.parseInt(f[1].trim()), f[2].equals("t")));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--configs: '" + c + "' has a non-integer count");
      }
    }
    if (pairs < 1 || repeats < 2 || batch < 1) {
      throw new IllegalArgumentException("--pairs >= 1, --repeats >= 2 and --batch >= 1");
    }
    LladaConfig config = LladaConfig.read(policy);
    try (LladaTokenizer tokenizer = LladaTokenizer.load(policy);
        LladaNetwork p = LladaNetwork.load(policy, Device.cpu(), false);
        LladaNetwork r = LladaNetwork.load(reference, Device.cpu(), false)) {
      List<PreferencePair> all =
          PreferenceData.load(data, tokenizer, config.maxSequenceLength()).pairs();
      List<PreferencePair> shuffled = new ArrayList<>(all);
      java.util.Collections.shuffle(shuffled, new java.util.Random(seed)); // a sample of the set
      List<PreferencePair> used = shuffled.subList(0, Math.min(pairs, shuffled.size()));
      VarianceStudy study =
          new VarianceStudy(p, r, beta, config.maskTokenId(), config.eosTokenId());
      StringBuilder table = new StringBuilder();
      table.append(
          String.format(
              "%d pairs (a random sample of the set), %d repeats, batch %d, β %.3g; gradient proxy: block 0 FFN up-projection"
                  + " (%s, up half)%n%n",
              used.size(), repeats, batch, beta, study.proxyName()));
      table.append(
          "| (n_t, n_yt, antithetic) | Var(score) | Var(loss) | Var(grad) | mean score |\n");
      table.append("|---|---|---|---|---|\n");
      System.out.print(table);
      for (ElboBudget b : budgets) {
        long t0 = System.nanoTime();
        VarianceStudy.Row row = study.measure(b, used, repeats, batch, seed);
        String line =
            String.format(
                "| %s | %.4g | %.4g | %.4g | %.4f |%n",
                b, row.varScore(), row.varLoss(), row.varGrad(), row.meanScore());
        table.append(line);
        System.out.print(line);
        System.err.printf("llada: %s measured in %.1f s%n", b, (System.nanoTime() - t0) / 1e9);
      }
      if (markdown != null) {
        Files.writeString(markdown, table.toString(), StandardCharsets.UTF_8);
      }
    }
    return 0;
  }
}

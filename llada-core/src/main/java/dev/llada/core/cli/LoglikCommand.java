package dev.llada.core.cli;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.llada.core.likelihood.LikelihoodEstimate;
import dev.llada.core.likelihood.LogLikelihood;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "loglik",
    description = "Monte Carlo estimate of log p(continuation | context) (get_log_likelihood.py).")
final class LoglikCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Option(names = "--context", required = true, description = "conditioning text")
  String context;

  @Option(
      names = "--continuation",
      required = true,
      description =
          "text to score, appended to the context as is (eval_llada.py's rule): give its leading"
              + " space, --continuation \" Paris\"")
  String continuation;

  @Option(
      names = "--mc-num",
      defaultValue = "128",
      description = "Monte Carlo samples (default: ${DEFAULT-VALUE})")
  int mcNum;

  @Option(
      names = "--batch-size",
      defaultValue = "16",
      description = "samples per forward (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(
      names = "--cfg-scale",
      defaultValue = "0",
      description = "classifier-free guidance (default: ${DEFAULT-VALUE})")
  double cfgScale;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "random seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    try (DjlMaskPredictor predictor = model.load();
        LladaTokenizer tokenizer = model.tokenizer()) {
      // as eval_llada.py: trailing whitespace of the context moves onto the continuation, and the
      // continuation ids are those of context+continuation past the context's own ids
      String ctx = context;
      String cont = continuation;
      int trailing = ctx.length() - ctx.stripTrailing().length();
      if (trailing > 0) {
        cont = ctx.substring(ctx.length() - trailing) + cont;
        ctx = ctx.substring(0, ctx.length() - trailing);
      }
      int[] contextIds = tokenizer.encode(ctx);
      int[] whole = tokenizer.encode(ctx + cont);
      int[] answer =
          Arrays.copyOfRange(whole, Math.min(contextIds.length, whole.length), whole.length);
      if (answer.length == 0) {
        throw new IllegalArgumentException("the continuation is empty after tokenization");
      }
      long start = System.nanoTime();
      LikelihoodEstimate e =
          new LogLikelihood(predictor)
              .estimate(contextIds, answer, mcNum, batchSize, cfgScale, new SplittableRandom(seed));
      double wallMs = (System.nanoTime() - start) / 1e6;
      if (json) {
        JsonObject o = new JsonObject();
        o.addProperty("loglik", e.logLikelihood());
        o.addProperty("stderr", e.standardError());
        o.addProperty("context_tokens", contextIds.length);
        o.addProperty("continuation_tokens", answer.length);
        o.addProperty("mc_num", e.mcNum());
        o.addProperty("nfe", e.nfe());
        o.addProperty("wall_ms", Math.round(wallMs * 10) / 10.0);
        LladaCli.io.out.println(new Gson().toJson(o));
      } else {
        LladaCli.io.out.printf(
            "log p(continuation | context) = %.4f ± %.4f (%d continuation tokens, mc_num %d, %d forwards)%n",
            e.logLikelihood(), e.standardError(), answer.length, e.mcNum(), e.nfe());
      }
      return 0;
    }
  }
}

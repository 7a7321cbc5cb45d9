package dev.llada.core.cli;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.sampling.StepEvent;
import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "generate",
    description =
        "Generate with the reference sampler (generate.py) or --sampler fast. Several --prompt values form a left-padded batch.")
final class GenerateCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Mixin SamplerOptions sampler;

  static final class Input {
    @Option(
        names = "--prompt",
        paramLabel = "TEXT",
        description = "prompt text (repeat for a batch)")
    List<String> prompts;

    @Option(names = "--ids", paramLabel = "1,2,3", description = "prompt token ids")
    String ids;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  @Option(
      names = "--chat",
      description = "wrap each prompt in the Instruct chat template as a user message")
  boolean chat;

  @Option(
      names = "--json",
      description = "print prompt ids, output ids, text, NFE and wall time as JSON")
  boolean json;

  @Option(names = "--trace", description = "with --json: include the per-step denoising trace")
  boolean trace;

  @Override
  public Integer call() {
    SamplingConfig config = sampler.config();
    try (DjlMaskPredictor predictor = model.load();
        LladaTokenizer tokenizer = model.hasTokenizer() ? model.tokenizer() : null) {
      int[][] prompts = prompts(tokenizer, predictor.config().embeddingSize());
      int pad = predictor.config().padTokenId();
      int width = 0;
      for (int[] p : prompts) {
        width = Math.max(width, p.length);
      }
      int[][] padded = new int[prompts.length][width];
      boolean[][] attention = new boolean[prompts.length][width];
      boolean anyPadding = false;
      for (int r = 0; r < prompts.length; r++) {
        int offset = width - prompts[r].length; // left padding (§2.8)
        for (int i = 0; i < width; i++) {
          padded[r][i] = i < offset ? pad : prompts[r][i - offset];
          attention[r][i] = i >= offset;
          anyPadding |= i < offset;
        }
      }
      SpecialTokens special = SpecialTokens.of(predictor.config(), tokenizer);
      List<StepEvent> steps = new ArrayList<>();
      long start = System.nanoTime();
      Generation g =
          sampler
              .sampler(predictor, special)
              .generate(
                  padded,
                  anyPadding ? attention : null,
                  config,
                  new SplittableRandom(sampler.seed),
                  steps::add);
      double wallMs = (System.nanoTime() - start) / 1e6;
      print(g, prompts, tokenizer, steps, wallMs);
      return 0;
    }
  }

  private int[][] prompts(LladaTokenizer tokenizer, int vocabulary) {
    if (input.ids != null) {
      return new int[][] {Ids.parse(input.ids, vocabulary)};
    }
    if (tokenizer == null) {
      throw new IllegalArgumentException(
          model.directory() + " has no tokenizer.json: pass token ids with --ids");
    }
    int[][] out = new int[input.prompts.size()][];
    for (int i = 0; i < out.length; i++) {
      String text = input.prompts.get(i);
      out[i] =
          tokenizer.encode(
              chat ? ChatTemplate.render(List.of(new ChatTemplate.Message("user", text))) : text);
      if (out[i].length == 0) {
        throw new IllegalArgumentException("prompt " + (i + 1) + " is empty");
      }
    }
    return out;
  }

  private void print(
      Generation g,
      int[][] prompts,
      LladaTokenizer tokenizer,
      List<StepEvent> steps,
      double wallMs) {
    var out = LladaCli.io.out;
    if (!json) {
      for (int r = 0; r < prompts.length; r++) {
        out.println(
            tokenizer != null
                ? tokenizer.decode(g.completion(r), true)
                : ids(g.completion(r)).toString());
      }
      return;
    }
    JsonObject o = new JsonObject();
    JsonArray promptIds = new JsonArray();
    JsonArray outputIds = new JsonArray();
    JsonArray texts = new JsonArray();
    for (int r = 0; r < prompts.length; r++) {
      promptIds.add(ids(prompts[r]));
      outputIds.add(ids(g.completion(r)));
      if (tokenizer != null) {
        texts.add(tokenizer.decode(g.completion(r), true));
      }
    }
    o.add("prompt_ids", promptIds);
    o.add("output_ids", outputIds);
    if (tokenizer != null) {
      o.add("text", texts);
    }
    o.addProperty("nfe", g.nfe());
    o.addProperty("sampler", sampler.choice.samplerName);
    o.addProperty("method", sampler.choice.label());
    o.addProperty("query_positions", g.queryPositions());
    o.addProperty("wall_ms", Math.round(wallMs * 10) / 10.0);
    if (trace) {
      JsonArray t = new JsonArray();
      for (StepEvent e : steps) {
        JsonObject s = new JsonObject();
        s.addProperty("step", e.step());
        s.addProperty("block", e.block());
        s.add("positions", new Gson().toJsonTree(e.positions()));
        s.add("tokens", new Gson().toJsonTree(e.tokens()));
        s.add("confidences", new Gson().toJsonTree(e.confidences()));
        t.add(s);
      }
      o.add("trace", t);
    }
    out.println(new Gson().toJson(o));
  }

  private static JsonArray ids(int[] ids) {
    JsonArray a = new JsonArray();
    for (int id : ids) {
      a.add(id);
    }
    return a;
  }
}

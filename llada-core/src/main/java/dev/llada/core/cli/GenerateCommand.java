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
import dev.llada.core.vision.ImageDecoder;
import dev.llada.core.vision.ImageInputException;
import dev.llada.core.vision.ImageLimits;
import dev.llada.core.vision.ImagePrompt;
import dev.llada.core.vision.VisionModel;
import dev.llada.core.vision.VisionModelConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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

  @Option(
      names = "--image",
      paramLabel = "FILE",
      description =
          "a PNG or JPEG for a LLaDA-V model (repeat for several); each <image> in the prompt"
              + " marks where one goes; a prompt without any gets them first, each followed by a"
              + " newline, as LLaDA-V's single-image prompts")
  List<Path> images;

  @Override
  public Integer call() {
    SamplingConfig config = sampler.config();
    boolean vision = VisionModelConfig.isVision(model.directory());
    if (images != null && !images.isEmpty()) {
      if (!vision) {
        throw new IllegalArgumentException(
            model.directory()
                + " is not a LLaDA-V model (model_type llava_llada): it takes no images");
      }
      if (input.prompts == null || input.prompts.size() != 1) {
        throw new IllegalArgumentException("--image goes with exactly one --prompt");
      }
      List<BufferedImage> decoded = new ArrayList<>();
      for (Path file : images) {
        decoded.add(ImageDecoder.decode(read(file), ImageLimits.DEFAULT));
      }
      return generateWithImages(config, decoded);
    }
    if (vision && input.prompts != null) {
      for (String p : input.prompts) {
        if (ImagePrompt.placeholders(p) > 0) {
          throw new ImageInputException(
              ImageInputException.Reason.IMAGE_COUNT_MISMATCH,
              "the prompt has <image> placeholders but no --image was given");
        }
      }
    }
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

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("image " + file + " does not exist");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read image " + file + ": " + e.getMessage());
    }
  }

  /** One prompt with images on a LLaDA-V model: the images' rows spliced in (llada-spec §8). */
  private int generateWithImages(SamplingConfig config, List<BufferedImage> decoded) {
    if (config.cfgScale() > 0) {
      throw new IllegalArgumentException(
          "--cfg-scale with images is not supported yet (the unconditional rows' images are not"
              + " defined here)");
    }
    DjlMaskPredictor.inferenceOnThisThread();
    try (VisionModel vision = VisionModel.load(model.directory(), model.device);
        LladaTokenizer tokenizer = model.tokenizer()) {
      String text = input.prompts.get(0);
      if (ImagePrompt.placeholders(text) == 0) {
        text = (ImagePrompt.PLACEHOLDER + "\n").repeat(decoded.size()) + text;
      }
      String rendered =
          chat ? ChatTemplate.render(List.of(new ChatTemplate.Message("user", text))) : text;
      ImagePrompt prompt =
          ImagePrompt.of(
              tokenizer, rendered, decoded.size(), vision.tokensPerImage(), tokenizer.eosId());
      int[][] prompts = {prompt.ids()};
      SpecialTokens special = SpecialTokens.of(vision.predictor().config(), tokenizer);
      List<StepEvent> steps = new ArrayList<>();
      long start = System.nanoTime();
      try (VisionModel.Prepared prepared =
          vision.prepare(List.of(prompt), List.of(decoded), new int[] {0})) {
        Generation g =
            sampler
                .sampler(prepared.predictor(), special)
                .generate(prompts, null, config, new SplittableRandom(sampler.seed), steps::add);
        print(g, prompts, tokenizer, steps, (System.nanoTime() - start) / 1e6);
      }
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

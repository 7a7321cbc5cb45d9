package dev.llada.core.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.weights.Checkpoint;
import dev.llada.core.weights.ModelDirectory;
import dev.llada.core.weights.TensorInfo;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "inspect",
    description = "Show a model's config, parameter count, dtypes and tensors.")
final class InspectCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Option(names = "--tensors", description = "list every tensor")
  boolean tensors;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    LladaConfig config = LladaConfig.read(model.directory());
    try (Checkpoint checkpoint = Checkpoint.open(model.directory())) {
      long stored = 0;
      for (String name : checkpoint.names()) {
        stored += checkpoint.info(name).elementCount();
      }
      JsonObject out = new JsonObject();
      out.addProperty("model", model.directory().toString());
      out.add("config", config.toJson());
      long vision = visionParameters(config);
      out.addProperty("parameters", stored);
      out.addProperty("parameters_from_config", config.parameterCount() + vision);
      if (vision > 0) { // LLaDA-V: the language model's and the tower's, projector's, newline's
        out.addProperty("language_parameters", config.parameterCount());
        out.addProperty("vision_parameters", vision);
      }
      out.addProperty("family", config.family().modelType());
      out.addProperty("active_parameters", config.activeParameterCount());
      JsonArray dtypes = new JsonArray();
      checkpoint.dtypes().forEach(d -> dtypes.add(d.name()));
      out.add("dtypes", dtypes);
      JsonArray files = new JsonArray();
      checkpoint.fileNames().forEach(files::add);
      out.add("files", files);
      out.addProperty("tensor_count", checkpoint.names().size());
      ModelDirectory described = ModelDirectory.describe(model.directory());
      out.addProperty("layout", described.layout());
      out.addProperty("digest", described.digest());
      if (tensors) {
        JsonArray list = new JsonArray();
        for (String name : checkpoint.names()) {
          TensorInfo t = checkpoint.info(name);
          JsonObject o = new JsonObject();
          o.addProperty("name", name);
          o.addProperty("dtype", t.dtype().name());
          o.addProperty("shape", Arrays.toString(t.shape()));
          list.add(o);
        }
        out.add("tensors", list);
      }
      var w = LladaCli.io.out;
      if (json) {
        w.println(new GsonBuilder().setPrettyPrinting().create().toJson(out));
        return 0;
      }
      w.printf("model       %s%n", model.directory());
      w.printf(
          "shape       %d layers, d_model %d, %d heads (%d kv), head_dim %d, mlp %d%n",
          config.nLayers(),
          config.dModel(),
          config.nHeads(),
          config.nKvHeads(),
          config.headDim(),
          config.mlpHiddenSize());
      w.printf("vocabulary  %d (embedding rows %d)%n", config.vocabSize(), config.embeddingSize());
      w.printf(
          "special     mask %d, eos %d, pad %d%n",
          config.maskTokenId(), config.eosTokenId(), config.padTokenId());
      w.printf(
          "rope        theta %s; rms_norm_eps %s; max length %d%n",
          config.ropeTheta(), config.rmsNormEps(), config.maxSequenceLength());
      if (vision > 0) {
        w.printf(
            "parameters  %,d (config implies %,d: language model %,d, tower, projector and"
                + " newline %,d)%n",
            stored, config.parameterCount() + vision, config.parameterCount(), vision);
      } else {
        w.printf("parameters  %,d (config implies %,d)%n", stored, config.parameterCount());
      }
      if (config.moe() != null) {
        w.printf(
            "experts     %d per layer, top-%d, expert FFN %d, %s; qk norm %s; active %,d%n",
            config.moe().experts(),
            config.moe().topK(),
            config.moe().expertHiddenSize(),
            config.moe().normTopKProb() ? "top-k renormalised" : "top-k not renormalised",
            config.qkNorm(),
            config.activeParameterCount());
      }
      w.printf(
          "dtypes      %s in %d file(s), %d tensors%n",
          checkpoint.dtypes(), checkpoint.fileNames().size(), checkpoint.names().size());
      w.printf("layout      %s; digest %s%n", described.layout(), described.digest());
      if (tensors) {
        for (String name : checkpoint.names()) {
          TensorInfo t = checkpoint.info(name);
          w.printf("  %-52s %-5s %s%n", name, t.dtype(), Arrays.toString(t.shape()));
        }
      }
      return 0;
    }
  }

  /** A LLaDA-V model's parameters beside its language model's (0 for the others). */
  private long visionParameters(LladaConfig config) {
    if (config.family() != dev.llada.core.config.ModelFamily.LLAVA_LLADA) {
      return 0;
    }
    var v = dev.llada.core.vision.VisionModelConfig.read(model.directory());
    var language = dev.llada.core.model.LladaNetwork.checkpointShapes(config).keySet();
    long n = 0;
    for (var e : dev.llada.core.vision.VisionCheckpoint.expectedShapes(v).entrySet()) {
      if (!language.contains(e.getKey())) {
        n += Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
      }
    }
    return n;
  }
}

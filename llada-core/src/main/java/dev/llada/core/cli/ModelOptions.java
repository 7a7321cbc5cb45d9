package dev.llada.core.cli;

import dev.llada.core.config.ModelFormatException;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.Precision;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model DIR} and {@code --device}. */
final class ModelOptions {

  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "model directory (config.json, *.safetensors, tokenizer.json)")
  Path model;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu or gpuN (default: ${DEFAULT-VALUE})")
  String device;

  @Option(
      names = "--dtype",
      defaultValue = "f32",
      description =
          "f32 or bf16: the type the forward computes in (bf16: weights held in bfloat16 on the"
              + " device, norms and RoPE in f32; for GPUs; default: ${DEFAULT-VALUE})")
  String dtype;

  Path directory() {
    if (!Files.isDirectory(model)) {
      throw new ModelFormatException(model + " is not a directory");
    }
    return model;
  }

  DjlMaskPredictor load() {
    return DjlMaskPredictor.load(directory(), device, Precision.parse(dtype));
  }

  boolean hasTokenizer() {
    return Files.isRegularFile(directory().resolve("tokenizer.json"));
  }

  LladaTokenizer tokenizer() {
    return LladaTokenizer.load(directory());
  }
}

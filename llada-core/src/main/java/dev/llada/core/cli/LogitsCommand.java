package dev.llada.core.cli;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.Logits;
import dev.llada.core.weights.DType;
import dev.llada.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "logits",
    description =
        "Write the full logits of one sequence as an F32 safetensors tensor 'logits' [1, T, vocab], for cross-checks with other implementations.")
final class LogitsCommand implements Callable<Integer> {

  @Mixin ModelOptions model;

  @Option(names = "--ids", required = true, paramLabel = "1,2,3", description = "token ids")
  String ids;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "FILE",
      description = "output .safetensors file")
  Path out;

  @Override
  public Integer call() {
    try (DjlMaskPredictor predictor = model.load()) {
      int[] tokens = Ids.parse(ids, predictor.config().embeddingSize());
      float[] values;
      int vocab;
      try (Logits logits = predictor.logits(new int[][] {tokens}, null, 0, tokens.length)) {
        values = logits.toArray();
        vocab = logits.vocab();
      }
      SafetensorsWriter.write(
          out,
          List.of(
              new SafetensorsWriter.Tensor(
                  "logits", new long[] {1, tokens.length, vocab}, values, DType.F32)),
          Map.of("format", "pt", "model", model.directory().toString()));
      LladaCli.io.out.printf("wrote %s: logits [1, %d, %d]%n", out, tokens.length, vocab);
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
    }
  }
}

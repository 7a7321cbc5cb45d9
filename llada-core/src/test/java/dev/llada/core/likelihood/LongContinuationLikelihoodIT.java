package dev.llada.core.likelihood;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.LladaConfig;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.model.TinyModels;
import dev.llada.core.weights.DType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A likelihood over 2,000 continuation tokens with LLaDA-8B's vocabulary (V = 126,464) at the
 * default batch size (16) runs within 2 GiB of heap and native memory: scored in one child JVM
 * (heap capped at 1 GiB) on a tiny random model with that vocabulary, whose peak resident set is
 * read from /proc. One forward over the batch would hold 16 GB of logits (and could not be copied
 * to Java at all past 2³¹ bytes).
 */
class LongContinuationLikelihoodIT {

  static final int VOCAB = 126_464;
  static final int CONTINUATION = 2_000;

  @TempDir Path temp;

  @Test
  void twoThousandTokensAtLladaVocabularyStayWithinTwoGibibytes() throws Exception {
    Path log = temp.resolve("child.log");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-Dai.djl.offline=true",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp",
                System.getProperty("java.class.path"),
                Child.class.getName(),
                temp.resolve("model").toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertTrue(child.waitFor(15, TimeUnit.MINUTES), "the child finished");
    List<String> out = Files.readAllLines(log, StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), String.join("\n", out));
    long peakKb =
        out.stream()
            .filter(l -> l.startsWith("VmHWM:"))
            .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", "")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no VmHWM line:\n" + String.join("\n", out)));
    String loglik = out.stream().filter(l -> l.startsWith("loglik ")).findFirst().orElseThrow();
    System.out.println("[long-loglik] " + loglik + ", peak RSS " + peakKb / 1024 + " MiB");
    assertTrue(Double.isFinite(Double.parseDouble(loglik.substring(7))), loglik);
    assertTrue(peakKb < 2L * 1024 * 1024, "peak resident " + peakKb / 1024 + " MiB");
  }

  /** The child: writes the model, scores once at the default batch size, reports its peak. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Path dir = Path.of(args[0]);
      LladaConfig c =
          new LladaConfig(
              8, 1, 1, 1, 16, VOCAB, VOCAB, 10000.0, 1e-5, 2_100, VOCAB - 1, VOCAB - 2, VOCAB - 2);
      TinyModels.write(dir, c, 3, DType.F32, 0);
      SplittableRandom random = new SplittableRandom(7);
      int[] prompt = new int[32];
      int[] answer = new int[CONTINUATION];
      for (int i = 0; i < prompt.length; i++) {
        prompt[i] = random.nextInt(VOCAB - 2);
      }
      for (int i = 0; i < answer.length; i++) {
        answer[i] = random.nextInt(VOCAB - 2);
      }
      try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, "cpu")) {
        LikelihoodEstimate e = new LogLikelihood(model).estimate(prompt, answer, 16, 16, 0, random);
        System.out.println("loglik " + e.logLikelihood());
      }
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          System.out.println(line);
        }
      }
    }
  }
}

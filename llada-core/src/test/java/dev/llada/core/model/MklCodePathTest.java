package dev.llada.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The forward on MKL's Intel code path (the shim that {@code bin/llada} and {@code bin/platform}
 * preload on AMD CPUs, docs/adr/0004) still matches the float64 oracle. The shim has to be loaded
 * before the JVM starts, so the check runs in a child JVM ({@link MklCodePathCheck}). Skipped where
 * the shim does not apply (not an AMD x86-64 CPU with AVX2 and FMA, or no C compiler).
 */
class MklCodePathTest {

  @TempDir Path temp;

  @Test
  void theForwardOnMklsIntelCodePathMatchesTheOracle() throws Exception {
    Path root = Path.of("").toAbsolutePath().getParent(); // the tests run in llada-core/
    Process shim = new ProcessBuilder(root.resolve("bin/mkl-intel-path").toString()).start();
    String so = new String(shim.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    String why = new String(shim.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    int code = shim.waitFor();
    assertNotEquals(2, code, why); // applies here, but did not compile
    Assumptions.assumeTrue(code == 0, "the shim does not apply here: " + why);

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder child =
        new ProcessBuilder(
                java,
                "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1",
                "-cp",
                System.getProperty("java.class.path"),
                MklCodePathCheck.class.getName(),
                temp.toString())
            .redirectErrorStream(true);
    child.environment().put("LD_PRELOAD", so);
    child.environment().put("OMP_NUM_THREADS", "1");
    Process check = child.start();
    String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(check.waitFor(5, TimeUnit.MINUTES), "the check did not finish");
    assertEquals(0, check.exitValue(), out);
    assertTrue(out.lines().anyMatch("ok"::equals), out);
  }
}

package dev.llada.vrpo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VRPO commands refuse bad input at once, with a message and exit code 2. */
class VrpoCliTest {

  @TempDir Path temp;

  private static final Path INSTRUCT =
      Path.of("..", "models", "llada-tiny-instruct").toAbsolutePath();

  private record Ran(int code, String err) {}

  private static Ran run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        VrpoCli.run(
            args,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Ran(code, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aBadRecipeFailsBeforeAnyWorkNamingTheField() throws Exception {
    Path recipe = temp.resolve("r.json");
    Files.writeString(
        recipe,
        "{\"name\":\"r\",\"policy\":\""
            + INSTRUCT
            + "\",\"data\":\"d.jsonl\",\"output\":\"out\",\"vrpo\":{\"n_t\":0},"
            + "\"train\":{\"steps\":1,\"pairs_per_step\":1,\"lr\":1e-4}}");
    Ran r = run("vrpo", "--recipe", recipe.toString(), "--base-dir", temp.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("\"vrpo.n_t\""), r.err());
    assertTrue(!Files.exists(temp.resolve("out")), "nothing was created");
  }

  @Test
  void aBadDatasetFailsWithItsLineNumbers() throws Exception {
    Files.writeString(
        temp.resolve("d.jsonl"),
        "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\"a\",\"chosen\":\"b\"}\n");
    Path recipe = temp.resolve("r.json");
    Files.writeString(
        recipe,
        "{\"name\":\"r\",\"policy\":\""
            + INSTRUCT
            + "\",\"data\":\"d.jsonl\",\"output\":\"out\","
            + "\"train\":{\"steps\":1,\"pairs_per_step\":1,\"lr\":1e-4}}");
    Ran r = run("vrpo", "--recipe", recipe.toString(), "--base-dir", temp.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("line 2") && r.err().contains("rejected"), r.err());
  }

  @Test
  void badVarianceConfigurationsAndUnknownTasksAreUsageErrors() {
    Ran r =
        run(
            "vrpo-variance",
            "--policy",
            INSTRUCT.toString(),
            "--reference",
            INSTRUCT.toString(),
            "--data",
            "x.jsonl",
            "--configs",
            "8,1,yes");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("8,1,yes"), r.err());
    Ran t =
        run("vrpo-pairs", "--model", INSTRUCT.toString(), "--tasks", "add9", "--out", "p.jsonl");
    assertEquals(2, t.code(), t.err());
    assertTrue(t.err().contains("unknown task 'add9'"), t.err());
    assertEquals(2, run().code());
  }
}

package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs every {@code bash} block of {@code docs/API.md}, in order, in one shell ({@code set -euo
 * pipefail}) against the running platform: the documented curl examples must work as written.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class ApiDocsIT {

  private static final Path DOC = Path.of(System.getProperty("api.doc", "../docs/API.md"));

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  /** The bash blocks of a Markdown file. */
  static List<String> bashBlocks(List<String> lines) {
    List<String> blocks = new ArrayList<>();
    StringBuilder block = null;
    for (String line : lines) {
      if (block == null && line.strip().equals("```bash")) {
        block = new StringBuilder();
      } else if (block != null && line.strip().equals("```")) {
        blocks.add(block.toString());
        block = null;
      } else if (block != null) {
        block.append(line).append('\n');
      }
    }
    return blocks;
  }

  @Test
  void everyDocumentedExampleRuns() throws Exception {
    List<String> blocks = bashBlocks(Files.readAllLines(DOC, StandardCharsets.UTF_8));
    assertTrue(blocks.size() >= 15, "examples found: " + blocks.size());
    StringBuilder script = new StringBuilder("set -euo pipefail\n");
    for (int i = 0; i < blocks.size(); i++) {
      script.append("echo '### example ").append(i + 1).append("'\n").append(blocks.get(i));
    }
    Path file = Path.of("target", "api-doc-examples.sh");
    Files.writeString(file, script);
    Path log = Path.of("target", "api-doc-examples.log");
    ProcessBuilder pb = new ProcessBuilder("bash", file.toString());
    pb.environment().put("LLADA", ApiClient.BASE);
    pb.environment().put("ADMIN_KEY", ApiClient.MASTER_KEY);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the examples hang");
    String output = Files.readString(log);
    assertEquals(0, p.exitValue(), "an example in docs/API.md failed:\n" + output);
  }
}

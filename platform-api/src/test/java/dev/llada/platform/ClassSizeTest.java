package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No class of the platform modules over ~300 lines without a reason written at its top (issue #14):
 * a longer one says "Longer than ~300 lines on purpose" and why, in its class comment.
 */
class ClassSizeTest {

  private static final int LIMIT = 320;
  private static final String REASON = "Longer than ~300 lines on purpose";

  @Test
  void longClassesSayWhy() throws IOException {
    List<String> unexplained = new ArrayList<>();
    int scanned = 0;
    for (String module :
        List.of(
            "platform-domain", "model-registry", "platform-core", "platform-api", "admin-web")) {
      Path main = Path.of("..", module, "src", "main", "java");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(main)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          scanned++;
          List<String> lines = Files.readAllLines(f);
          String head = String.join("\n", lines.subList(0, Math.min(lines.size(), 80)));
          if (lines.size() > LIMIT && !head.contains(REASON)) {
            unexplained.add(f.getFileName() + " (" + lines.size() + " lines)");
          }
        }
      }
    }
    assertTrue(scanned > 80, "sources found: " + scanned);
    assertEquals(List.of(), unexplained, "over " + LIMIT + " lines without a reason at the top");
  }
}

package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One owner per table (issue #14): scans the main sources of every module for SQL that writes
 * ({@code INSERT INTO}, {@code UPDATE}, {@code DELETE FROM}) and for JPA writes ({@code persist},
 * {@code merge}, {@code remove} on an {@code EntityManager}), and fails when a table is written
 * from a second class. A new writer must either live in the owner or take the table over.
 */
class TableOwnershipTest {

  private static final Path ROOT = Path.of("..");

  private static final List<String> MODULES =
      List.of(
          "platform-api",
          "platform-core",
          "platform-domain",
          "model-registry",
          "db",
          "inference-worker",
          "alignment-vrpo",
          "admin-web",
          "llada-core",
          "platform-launcher");

  /**
   * DML on a table, as the project writes SQL: keywords in capitals, names in lower case (so prose
   * such as "an update of" is not taken for SQL); {@code DO UPDATE SET} of an upsert is not a
   * second statement.
   */
  private static final Pattern DML =
      Pattern.compile("\\b(INSERT\\s+INTO|(?<!DO\\s)UPDATE|DELETE\\s+FROM)\\s+([a-z_]+)\\b");

  private static final Pattern JPA_WRITE = Pattern.compile("\\b\\w+\\.(persist|merge|remove)\\(");

  /** Tables and the one class that writes each, as they stand. */
  private static final Map<String, String> OWNERS =
      Map.ofEntries(
          Map.entry("tenant", "JdbcTenancy"),
          Map.entry("tenant_entitlement", "JdbcTenancy"),
          Map.entry("tenant_user", "JdbcTenancy"),
          Map.entry("api_key", "JdbcTenancy"),
          Map.entry("usage_ledger", "JdbcQuotaLedger"),
          Map.entry("quota_counter", "JdbcQuotaLedger"),
          Map.entry("request_log", "JdbcRequestLog"),
          Map.entry("idempotent_response", "JdbcIdempotencyStore"),
          Map.entry("model_version", "JdbcModelAdmin"),
          Map.entry("model_version_tag", "JdbcModelAdmin"),
          Map.entry("model_alias", "JdbcModelAdmin"),
          Map.entry("model_alias_history", "JdbcModelAdmin"),
          Map.entry("lease", "Leases"));

  @Test
  void everyTableHasExactlyOneWriter() throws IOException {
    Map<String, Set<String>> writers = new TreeMap<>();
    List<String> jpaWrites = new ArrayList<>();
    for (Path source : sources()) {
      String text = Files.readString(source);
      String owner = source.getFileName().toString().replace(".java", "");
      Matcher m = DML.matcher(text);
      while (m.find()) {
        String table = m.group(2).toLowerCase(java.util.Locale.ROOT);
        if (!table.equals("set")) {
          writers.computeIfAbsent(table, t -> new TreeSet<>()).add(owner);
        }
      }
      if (text.contains("jakarta.persistence.EntityManager") && JPA_WRITE.matcher(text).find()) {
        jpaWrites.add(owner);
      }
    }
    List<String> problems = new ArrayList<>();
    writers.forEach(
        (table, classes) -> {
          if (classes.size() != 1) {
            problems.add(table + " is written by " + classes);
          } else if (!classes.contains(OWNERS.getOrDefault(table, "?"))) {
            problems.add(
                table + " is written by " + classes + ", not its owner " + OWNERS.get(table));
          }
        });
    assertTrue(problems.isEmpty(), String.join("\n", problems));
    assertEquals(
        List.of(),
        jpaWrites,
        "JPA entities are read-only look-ups until their tables move to JPA owners");
    assertTrue(writers.keySet().containsAll(OWNERS.keySet()), "the scan found " + writers);
  }

  private static List<Path> sources() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String module : MODULES) {
      Path main = ROOT.resolve(module).resolve("src/main/java");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(main)) {
        files.filter(p -> p.toString().endsWith(".java")).forEach(out::add);
      }
    }
    assertTrue(out.size() > 50, "sources found: " + out.size());
    return out;
  }
}

package dev.llada.platform;

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
 * ({@code INSERT INTO}, {@code UPDATE}, {@code DELETE FROM}), for JPQL that writes ({@code UPDATE}
 * or {@code DELETE FROM} an entity), and for JPA writes ({@code persist}, {@code merge}, {@code
 * remove} on an {@code EntityManager}: such a class writes the table of every entity it
 * constructs), and fails when a table is written from a second class. A new writer must either live
 * in the owner or take the table over.
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

  /** JPQL DML names an entity (capitalised) where SQL names a table. */
  private static final Pattern JPQL_DML =
      Pattern.compile("\\b(UPDATE|DELETE\\s+FROM)\\s+([A-Z][A-Za-z0-9]*)\\b");

  private static final Pattern JPA_WRITE = Pattern.compile("\\b\\w+\\.(persist|merge|remove)\\(");

  private static final Pattern COLLECTION_TABLE =
      Pattern.compile("@CollectionTable\\(\\s*name\\s*=\\s*\"([a-z_]+)\"");

  private static final Pattern ENTITY =
      Pattern.compile("@Entity\\s+@Table\\(name\\s*=\\s*\"([a-z_]+)\"\\)\\s+public class (\\w+)");

  /** Tables and the one class that writes each, as they stand. */
  private static final Map<String, String> OWNERS =
      Map.ofEntries(
          Map.entry("tenant", "JpaTenancy"),
          Map.entry("tenant_entitlement", "JpaTenancy"),
          Map.entry("tenant_user", "JpaTenancy"),
          Map.entry("api_key", "JpaTenancy"),
          Map.entry("usage_ledger", "JdbcQuotaLedger"),
          Map.entry("quota_counter", "JdbcQuotaLedger"),
          Map.entry("reservation_lease", "JdbcQuotaLedger"),
          Map.entry("request_log", "JdbcRequestLog"),
          Map.entry("file_blob", "JdbcFileStore"),
          Map.entry("file_chunk", "JdbcFileStore"),
          Map.entry("tenant_file", "JdbcFileStore"),
          Map.entry("batch", "JdbcBatchStore"),
          Map.entry("batch_item", "JdbcBatchStore"),
          Map.entry("inference_worker", "WorkerRegistration"),
          Map.entry("audit_log", "JdbcAuditLog"),
          Map.entry("idempotent_response", "JdbcIdempotencyStore"),
          Map.entry("model_version", "JpaModelRegistry"),
          Map.entry("model_version_tag", "JpaModelRegistry"),
          Map.entry("model_alias", "JpaModelRegistry"),
          Map.entry("model_alias_history", "JpaModelRegistry"),
          Map.entry("lease", "Leases"));

  @Test
  void everyTableHasExactlyOneWriter() throws IOException {
    Map<String, String> sourcesByClass = new TreeMap<>();
    for (Path source : sources()) {
      // a class by its module and path, so two classes of one simple name stay two writers
      sourcesByClass.put(
          ROOT.relativize(source).toString().replace(".java", ""), Files.readString(source));
    }
    // entity -> its table, then the tables of its element collections
    Map<String, List<String>> entityTables = new TreeMap<>();
    sourcesByClass
        .values()
        .forEach(
            text -> {
              Matcher e = ENTITY.matcher(text);
              if (e.find()) {
                List<String> tables = new ArrayList<>(List.of(e.group(1)));
                Matcher c = COLLECTION_TABLE.matcher(text);
                while (c.find()) {
                  tables.add(c.group(1));
                }
                entityTables.put(e.group(2), tables);
              }
            });
    assertTrue(entityTables.containsKey("ModelVersion"), "entities found: " + entityTables);
    Map<String, Set<String>> writers = new TreeMap<>();
    sourcesByClass.forEach(
        (owner, text) -> {
          Matcher m = DML.matcher(text);
          while (m.find()) {
            String table = m.group(2).toLowerCase(java.util.Locale.ROOT);
            if (!table.equals("set")) {
              writers.computeIfAbsent(table, t -> new TreeSet<>()).add(owner);
            }
          }
          Matcher q = JPQL_DML.matcher(text);
          while (q.find()) {
            for (String table : entityTables.getOrDefault(q.group(2), List.of())) {
              writers.computeIfAbsent(table, t -> new TreeSet<>()).add(owner);
            }
          }
          if (text.contains("jakarta.persistence.EntityManager")
              && JPA_WRITE.matcher(text).find()) {
            entityTables.forEach(
                (entity, tables) -> {
                  if (Pattern.compile("\\bnew (?:[\\w.]+\\.)?" + entity + "\\(")
                      .matcher(text)
                      .find()) {
                    tables.forEach(
                        t -> writers.computeIfAbsent(t, x -> new TreeSet<>()).add(owner));
                  }
                });
          }
        });
    List<String> problems = new ArrayList<>();
    writers.forEach(
        (table, classes) -> {
          if (classes.size() != 1) {
            problems.add(table + " is written by " + classes);
          } else if (!classes.iterator().next().endsWith("/" + OWNERS.getOrDefault(table, "?"))) {
            problems.add(
                table + " is written by " + classes + ", not its owner " + OWNERS.get(table));
          }
        });
    assertTrue(problems.isEmpty(), String.join("\n", problems));
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

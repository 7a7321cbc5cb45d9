package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.ItDatabase;
import dev.llada.platform.interfaces.rest.StrictJson;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What issue #13/#14 added to two hot paths, against the code it replaced, measured in the same run
 * (docs/BENCHMARKS.md): the strict JSON reader against Parsson's {@code JsonReader} (what Jersey
 * used before), and the guarded counter upsert of the ledger (a window past retention is not
 * written) against the plain upsert it replaced, on the embedded PostgreSQL of the tests. Never run
 * by {@code mvn verify}; run it with {@code mvn -pl platform-api test -Dtest=EdgeAndLedgerBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class EdgeAndLedgerBenchmark {

  /** The counter upsert before issue #14 (the baseline). */
  private static final String PLAIN_ADD =
      "INSERT INTO quota_counter (scope_kind, scope_id, metric, window_start, used)"
          + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope_kind, scope_id, metric, window_start)"
          + " DO UPDATE SET used = quota_counter.used + EXCLUDED.used";

  /** Parsson's reader as a JSON-P body provider uses it: its factory made once. */
  private static final jakarta.json.JsonReaderFactory READERS =
      jakarta.json.spi.JsonProvider.provider().createReaderFactory(java.util.Map.of());

  private static byte[] body(int promptBytes, int messages) {
    StringBuilder b = new StringBuilder("{\"model\":\"llada-tiny-instruct\",\"messages\":[");
    for (int i = 0; i < messages; i++) {
      b.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"sort 5132:\"}");
    }
    b.append("],\"prompt\":\"")
        .append("p".repeat(promptBytes))
        .append("\",\"max_tokens\":8,")
        .append("\"steps\":8,\"temperature\":0,\"stream\":false}");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Median nanoseconds of {@code task}, in alternating rounds with its rival (same run). */
  private static long[] paired(int rounds, int perRound, Supplier<?> a, Supplier<?> b) {
    long[] ta = new long[rounds];
    long[] tb = new long[rounds];
    for (int r = -3; r < rounds; r++) { // three warm-up rounds
      long t0 = System.nanoTime();
      for (int i = 0; i < perRound; i++) {
        a.get();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < perRound; i++) {
        b.get();
      }
      long t2 = System.nanoTime();
      if (r >= 0) {
        ta[r] = (t1 - t0) / perRound;
        tb[r] = (t2 - t1) / perRound;
      }
    }
    Arrays.sort(ta);
    Arrays.sort(tb);
    return new long[] {ta[rounds / 2], tb[rounds / 2]};
  }

  @Test
  void strictJsonAgainstParsson() {
    Object[][] shapes = {
      {"chat body, 0.2 KB", body(0, 1), 5_000},
      {"prompt 100 KB", body(100_000, 1), 100},
      {"prompt 900 KB", body(900_000, 1), 12},
      {"2,000 messages, 90 KB", body(0, 2_000), 20}
    };
    for (Object[] s : shapes) {
      byte[] bytes = (byte[]) s[1];
      int n = (Integer) s[2];
      long[] t =
          paired(
              15,
              n,
              () -> {
                try (var r = READERS.createReader(new ByteArrayInputStream(bytes))) {
                  return r.readObject();
                }
              },
              () -> StrictJson.object(bytes));
      System.out.printf(
          "json %-24s parsson %9.1f us  strict %9.1f us  ratio strict/parsson %.2f%n",
          s[0], t[0] / 1e3, t[1] / 1e3, t[1] / (double) t[0]);
    }
  }

  @Test
  void guardedCounterUpsertAgainstThePlainOne() throws Exception {
    try (Connection c = ItDatabase.start().dataSource().getConnection();
        PreparedStatement plain = c.prepareStatement(PLAIN_ADD);
        PreparedStatement guarded = c.prepareStatement(JdbcQuotaLedger.ADD)) {
      UUID scope = UUID.randomUUID();
      Timestamp minute = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MINUTES));
      long[] t =
          paired(15, 400, () -> run(plain, scope, minute), () -> run(guarded, scope, minute));
      System.out.printf(
          "counter upsert   plain %7.1f us  guarded %7.1f us  ratio guarded/plain %.2f%n",
          t[0] / 1e3, t[1] / 1e3, t[1] / (double) t[0]);
    }
  }

  private static Object run(PreparedStatement ps, UUID scope, Timestamp window) {
    try {
      ps.setString(1, "TENANT");
      ps.setObject(2, scope);
      ps.setString(3, "REQUESTS");
      ps.setTimestamp(4, window);
      ps.setLong(5, 1);
      return ps.executeUpdate();
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static {
    JsonObject unused = Json.createObjectBuilder().build(); // load JSON-P before timing
    unused.size();
  }
}

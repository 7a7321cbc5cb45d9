package dev.llada.platform;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

/**
 * A seeded generator of hostile requests against every endpoint of the tenant and admin APIs, the
 * way an attacker would try them, in categories of at least {@code perCategory} requests each.
 *
 * <p>Every request to an endpoint that writes (create, update, delete, promote, reconcile) is
 * malformed in a way that must be refused, so the IT can demand that the stored data is unchanged
 * afterwards; requests to endpoints that only read, or that run a model, may be valid (category
 * VALID has nothing but valid ones), so the request log and the ledger grow and can be audited.
 */
final class EdgeFuzz {

  enum Category {
    TYPES,
    RANGES,
    LENGTHS,
    DEPTH,
    ENCODINGS,
    NULS,
    TRAILING,
    OVER_CAP,
    METHODS,
    PATHS,
    HEADERS,
    CREDENTIALS,
    VALID
  }

  /**
   * One generated request.
   *
   * @param writes the endpoint writes: the request must be refused
   * @param expected the statuses it may get (empty: any below 500; at least 400 if it writes)
   * @param fuzzKey it carries the fuzzing tenant's key
   */
  record Case(
      Category category,
      String endpoint,
      RawHttp.Request request,
      boolean writes,
      Set<Integer> expected,
      boolean fuzzKey) {}

  /** An endpoint: method, path (with the fuzz tenant's names filled in), valid body fields. */
  /** A file id no tenant has. */
  private static final String NO_FILE = "file-000000000000000000000000";

  private static final String NO_BATCH = "batch_000000000000000000000000";

  private record Endpoint(
      String name, String method, String path, boolean admin, boolean writes, Field... fields) {}

  /** A body field: its name, its kind, and a valid JSON value. */
  private record Field(String name, Kind kind, String valid) {}

  private enum Kind {
    STRING,
    INT,
    NUMBER,
    BOOL,
    ARRAY,
    OBJECT
  }

  private static final long CAP = 1 << 20;

  /** An id no row has. */
  private static final String MISSING = "00000000-0000-4000-8000-0000000f0022";

  private final Random random;
  private final String tenantKey;
  private final String masterKey;
  private final String model;
  private final String slug;
  private final List<Endpoint> endpoints;

  EdgeFuzz(long seed, String tenantKey, String masterKey, String model, String slug) {
    this.random = new Random(seed);
    this.tenantKey = tenantKey;
    this.masterKey = masterKey;
    this.model = model;
    this.slug = slug;
    String m = q(model);
    String msgs = "[{\"role\":\"user\",\"content\":\"sort 31:\"}]";
    String t = "/v1/admin/tenants/" + slug;
    String v = "/v1/admin/models/" + model + "/versions/1";
    this.endpoints =
        List.of(
            new Endpoint(
                "completions",
                "POST",
                "/v1/completions",
                false,
                false,
                new Field("model", Kind.STRING, m),
                new Field("prompt", Kind.STRING, q("sort 5132:")),
                new Field("max_tokens", Kind.INT, "4"),
                new Field("steps", Kind.INT, "4"),
                new Field("temperature", Kind.NUMBER, "0"),
                new Field("seed", Kind.INT, "1")),
            new Endpoint(
                "chat",
                "POST",
                "/v1/chat/completions",
                false,
                false,
                new Field("model", Kind.STRING, m),
                new Field("messages", Kind.ARRAY, msgs),
                new Field("max_tokens", Kind.INT, "4"),
                new Field("steps", Kind.INT, "4"),
                new Field("stream", Kind.BOOL, "false"),
                new Field("cfg_scale", Kind.NUMBER, "0")),
            new Endpoint(
                "diffusion",
                "POST",
                "/v1/diffusion/generate",
                false,
                false,
                new Field("model", Kind.STRING, m),
                new Field("prompt", Kind.STRING, q("add 1+2=")),
                new Field("gen_length", Kind.INT, "4"),
                new Field("steps", Kind.INT, "4"),
                new Field("block_length", Kind.INT, "4"),
                new Field("sampler", Kind.STRING, q("reference")),
                new Field("stream", Kind.BOOL, "false")),
            new Endpoint(
                "loglikelihood",
                "POST",
                "/v1/loglikelihood",
                false,
                false,
                new Field("model", Kind.STRING, m),
                new Field("context", Kind.STRING, q("sort 21:")),
                new Field("continuation", Kind.STRING, q("12")),
                new Field("mc_num", Kind.INT, "4"),
                new Field("batch_size", Kind.INT, "4")),
            new Endpoint("models", "GET", "/v1/models", false, false),
            new Endpoint("model", "GET", "/v1/models/" + model, false, false),
            new Endpoint("usage", "GET", "/v1/usage?from=2026-11-01", false, false),
            new Endpoint("files-upload", "POST", "/v1/files", false, true),
            new Endpoint("files", "GET", "/v1/files?limit=2", false, false),
            // a missing id answers 404: never among the valid requests, which expect 200
            new Endpoint("file", "GET", "/v1/files/" + NO_FILE, false, true),
            new Endpoint("file-content", "GET", "/v1/files/" + NO_FILE + "/content", false, true),
            new Endpoint("file-delete", "DELETE", "/v1/files/" + NO_FILE, false, true),
            new Endpoint(
                "batch-create",
                "POST",
                "/v1/batches",
                false,
                true, // a missing input file answers 404
                new Field("input_file_id", Kind.STRING, q(NO_FILE)),
                new Field("endpoint", Kind.STRING, q("/v1/chat/completions")),
                new Field("completion_window", Kind.STRING, q("24h")),
                new Field("metadata", Kind.OBJECT, "{\"k\":\"v\"}")),
            new Endpoint("batches", "GET", "/v1/batches?limit=2", false, false),
            new Endpoint("batch", "GET", "/v1/batches/" + NO_BATCH, false, true),
            new Endpoint(
                "batch-cancel", "POST", "/v1/batches/" + NO_BATCH + "/cancel", false, true),
            new Endpoint(
                "tenant-create",
                "POST",
                "/v1/admin/tenants",
                true,
                true,
                new Field("slug", Kind.STRING, q("fz-new")),
                new Field("display_name", Kind.STRING, q("New")),
                new Field("entitlements", Kind.ARRAY, "[\"INSTRUCT\"]"),
                new Field("limits", Kind.OBJECT, "{\"requests_per_minute\":10}")),
            new Endpoint(
                "tenant-update",
                "PATCH",
                t,
                true,
                true,
                new Field("limits", Kind.OBJECT, "{\"max_concurrent\":3}"),
                new Field("status", Kind.STRING, q("SUSPENDED")),
                new Field("store_bodies", Kind.BOOL, "true"),
                new Field("entitlements", Kind.ARRAY, "[\"BASE\"]"),
                new Field("limit_ceilings", Kind.OBJECT, "{\"max_concurrent\":4}")),
            new Endpoint(
                "key-create",
                "POST",
                t + "/keys",
                true,
                true,
                new Field("name", Kind.STRING, q("fz key")),
                new Field("scopes", Kind.ARRAY, "[\"inference\"]"),
                new Field("limits", Kind.OBJECT, "{\"requests_per_minute\":5}")),
            new Endpoint(
                "user-add",
                "POST",
                t + "/users",
                true,
                true,
                new Field("issuer", Kind.STRING, q("https://idp.example")),
                new Field("subject", Kind.STRING, q("fz-user")),
                new Field("email", Kind.STRING, q("fz@example.com")),
                new Field("role", Kind.STRING, q("MEMBER"))),
            new Endpoint(
                "model-register",
                "POST",
                "/v1/admin/models",
                true,
                true,
                new Field("name", Kind.STRING, q("fz-model")),
                new Field("variant", Kind.STRING, q("INSTRUCT")),
                new Field("path", Kind.STRING, q("/nonexistent/fz")),
                new Field("training_job", Kind.STRING, q("job-1")),
                new Field("dataset", Kind.STRING, q("ds-1"))),
            new Endpoint(
                "tags", "PATCH", v + "/tags", true, true, new Field("fz", Kind.STRING, q("x"))),
            new Endpoint(
                "alias-promote",
                "PUT",
                "/v1/admin/aliases/fz-alias",
                true,
                true,
                new Field("version", Kind.STRING, q(model + ":1"))),
            new Endpoint("tenants", "GET", "/v1/admin/tenants", true, false),
            new Endpoint("tenant", "GET", t, true, false),
            new Endpoint("keys", "GET", t + "/keys", true, false),
            new Endpoint("users", "GET", t + "/users", true, false),
            new Endpoint("export", "GET", t + "/export", true, false),
            new Endpoint("drift", "GET", t + "/usage/drift", true, false),
            new Endpoint("versions", "GET", "/v1/admin/models/" + model + "/versions", true, false),
            new Endpoint("version", "GET", v, true, false),
            new Endpoint("lineage", "GET", v + "/lineage", true, false),
            new Endpoint(
                "alias-history", "GET", "/v1/admin/aliases/" + model + "/history", true, false),
            new Endpoint("admin-usage", "GET", "/v1/admin/usage?tenant=" + slug, true, false),
            new Endpoint(
                "audit", "GET", "/v1/admin/audit?limit=5&action=tenant.update", true, false),
            new Endpoint("tenant-audit", "GET", t + "/audit?limit=5", true, false),
            // writes aimed at things that do not exist: every case must be refused, none may 5xx
            new Endpoint(
                "key-rotate",
                "POST",
                t + "/keys/" + MISSING + "/rotate",
                true,
                true,
                new Field("grace_seconds", Kind.INT, "60")),
            new Endpoint("key-revoke", "DELETE", t + "/keys/" + MISSING, true, true),
            new Endpoint("user-remove", "DELETE", t + "/users/" + MISSING, true, true),
            new Endpoint("tenant-delete", "DELETE", "/v1/admin/tenants/fz-none", true, true),
            new Endpoint(
                "reconcile", "POST", "/v1/admin/tenants/fz-none/usage/reconcile", true, true),
            new Endpoint(
                "alias-rollback", "POST", "/v1/admin/aliases/fz-none/rollback", true, true),
            new Endpoint("cancel", "POST", "/v1/requests/" + MISSING + "/cancel", false, true));
  }

  /** "METHOD /path" (no query) of every endpoint the fuzz aims at. */
  List<String> targets() {
    return endpoints.stream()
        .map(e -> e.method() + " " + e.path().replaceFirst("\\?.*", ""))
        .toList();
  }

  List<Case> generate(int perCategory) {
    Map<Category, List<Case>> by = new EnumMap<>(Category.class);
    for (Category c : Category.values()) {
      List<Case> cases = new ArrayList<>();
      while (cases.size() < perCategory) {
        Case x = one(c);
        if (x != null) {
          cases.add(x);
        }
      }
      by.put(c, cases);
    }
    List<Case> all = new ArrayList<>();
    by.values().forEach(all::addAll);
    java.util.Collections.shuffle(all, random);
    return all;
  }

  private Case one(Category c) {
    return switch (c) {
      case TYPES -> types();
      case RANGES -> ranges();
      case LENGTHS -> lengths();
      case DEPTH -> bodyCase(c, withBody(), (e, f) -> nest(f, 33 + random.nextInt(3000)), 400);
      case ENCODINGS -> encodings();
      case NULS -> nuls();
      case TRAILING -> trailing();
      case OVER_CAP -> overCap();
      case METHODS -> methods();
      case PATHS -> paths();
      case HEADERS -> headers();
      case CREDENTIALS -> credentials();
      case VALID -> valid();
    };
  }

  // --- categories ---------------------------------------------------------------------------

  private Case types() {
    Endpoint e = withBody();
    Field f = pick(e.fields());
    List<String> wrong =
        new ArrayList<>(
            switch (f.kind()) {
              case STRING -> List.of("5", "true", "[]", "{}", "1.5", "[5]");
              case INT -> List.of("\"5\"", "true", "[]", "{}", "1.5", "\"\"");
              case NUMBER -> List.of("\"0.5\"", "true", "[]", "{}", "false");
              case BOOL -> List.of("\"true\"", "1", "[]", "{}", "0");
              case ARRAY -> List.of("\"x\"", "1", "{}", "true");
              case OBJECT -> List.of("\"x\"", "1", "[]", "true");
            });
    if (e.name().equals("chat") && random.nextBoolean()) {
      String[] nested = {
        "[{\"role\":1,\"content\":\"x\"}]",
        "[{\"role\":\"user\",\"content\":5}]",
        "[{\"role\":\"user\",\"content\":[5]}]",
        "[\"hello\"]",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":7}]}]"
      };
      return bodyCase(
          Category.TYPES, e, body(e, "messages", nested[random.nextInt(nested.length)]), 400);
    }
    String value = wrong.get(random.nextInt(wrong.size()));
    return bodyCase(Category.TYPES, e, body(e, f.name(), value), 400);
  }

  private Case ranges() {
    String[] limits = {
      "{\"requests_per_minute\":3000000000}",
      "{\"max_concurrent\":2147483648}",
      "{\"requests_per_minute\":0}",
      "{\"max_concurrent\":-1}",
      "{\"tokens_per_day\":9223372036854775808}",
      "{\"compute_units_per_month\":1e400}",
      "{\"tokens_per_day\":1e9999999999}",
      "{\"max_concurrent\":-1E+3000000000}",
      "{\"tokens_per_day\":0}",
      "{\"requests_per_minute\":2.5}"
    };
    String[][] tenantFields = {
      {"max_tokens", "3000000000"},
      {"max_tokens", "0"},
      {"max_tokens", "-1"},
      {"max_tokens", "1048577"},
      {"steps", "0"},
      {"steps", "4097"},
      {"steps", "3000000000"},
      {"temperature", "-1"},
      {"temperature", "2.5"},
      {"temperature", "1e308"},
      {"cfg_scale", "101"},
      {"seed", "1e30"},
      {"temperature", "1e-2147483649"},
      {"max_tokens", "1e99999999999"},
      {"seed", "9223372036854775808"},
      {"n", "3000000000"},
      {"gen_length", "9999999999999"},
      {"block_length", "0"},
      {"sampler", "\"turbo\""},
      {"sampler", "\"FAST\""},
      {"threshold", "0.5"}, // without sampler fast
      {"threshold", "1e400"},
      {"cache", "\"dual\""}, // without sampler fast
      {"cache", "\"full\""},
      {"cache", "0"},
      {"refresh", "\"whole\""}, // without sampler fast
      {"refresh", "\"never\""}
    };
    switch (random.nextInt(4)) {
      case 0 -> {
        Endpoint e = named(pick("tenant-create", "tenant-update", "key-create"));
        if (!e.name().equals("key-create") && random.nextBoolean()) { // a tenant's queue weight
          String w = pick("0", "-1", "101", "2147483648", "2.5", "1e400", "\"3\"", "true", "[]");
          return bodyCase(Category.RANGES, e, body(e, "queue_weight", w), 400);
        }
        return bodyCase(
            Category.RANGES, e, body(e, "limits", limits[random.nextInt(limits.length)]), 400);
      }
      case 1 -> {
        Endpoint e = named(pick("completions", "chat", "diffusion"));
        String[] f = tenantFields[random.nextInt(tenantFields.length)];
        return bodyCase(Category.RANGES, e, body(e, f[0], f[1]), 400);
      }
      case 2 -> {
        Endpoint e = named("loglikelihood");
        String[][] l = {
          {"mc_num", "0"},
          {"mc_num", "4097"},
          {"mc_num", "3000000000"},
          {"batch_size", "0"},
          {"batch_size", "257"},
          {"batch_size", "3"},
          {"cfg_scale", "-0.5"}
        };
        String[] f = l[random.nextInt(l.length)];
        return bodyCase(Category.RANGES, e, body(e, f[0], f[1]), 400);
      }
      default -> {
        String n = pick("0", "-1", "99999999999", "1e3", "x", "2147483648");
        String base = "/v1/admin/models/" + model + "/versions/" + n;
        boolean tags = random.nextBoolean();
        return new Case(
            Category.RANGES,
            tags ? "tags" : "version",
            json(tags ? "PATCH" : "GET", base + (tags ? "/tags" : ""), masterKey, "{\"k\":\"v\"}"),
            tags,
            Set.of(400),
            false);
      }
    }
  }

  private Case lengths() {
    int over = 1 + random.nextInt(400);
    String[][] admin = {
      {"tenant-create", "slug", q("a".repeat(63 + over))},
      {"tenant-create", "display_name", q("d".repeat(200 + over))},
      {"key-create", "name", q("k".repeat(100 + over))},
      {"user-add", "issuer", q("i".repeat(255 + over))},
      {"user-add", "subject", q("s".repeat(255 + over))},
      {"user-add", "email", q("e".repeat(320 + over) + "@x")},
      {"model-register", "training_job", q("j".repeat(128 + over))},
      {"model-register", "dataset", q("d".repeat(200 + over))},
      {"model-register", "name", q("n".repeat(128 + over))},
      {"tags", "fz", q("v".repeat(500 + over))},
      {"tags", "k".repeat(64 + over), q("v")},
      {"tenant-update", "status", q("S".repeat(16 + over))}
    };
    int pick = random.nextInt(admin.length + 4);
    if (pick < admin.length) {
      String[] a = admin[pick];
      Endpoint e = named(a[0]);
      return bodyCase(Category.LENGTHS, e, body(e, a[1], a[2]), 400);
    }
    return switch (pick - admin.length) {
      case 0 -> {
        String alias = "a".repeat(128 + over);
        yield new Case(
            Category.LENGTHS,
            "alias-promote",
            json("PUT", "/v1/admin/aliases/" + alias, masterKey, "{\"version\":\"x:1\"}"),
            true,
            Set.of(400),
            false);
      }
      case 1 -> {
        Endpoint e = named(pick("completions", "diffusion"));
        // more text than any 256-token context can hold: refused on bytes, before the tokenizer
        String prompt = q("p".repeat(100_000 + random.nextInt(800_000)));
        yield bodyCase(Category.LENGTHS, e, body(e, "prompt", prompt), 400);
      }
      case 2 -> {
        Endpoint e = named(pick("completions", "chat", "loglikelihood"));
        String name = "k".repeat(257 + over);
        yield bodyCase(Category.LENGTHS, e, body(e, name, "1"), 400);
      }
      default -> {
        Endpoint e = named("chat");
        List<String[]> h = new ArrayList<>(auth(tenantKey));
        h.add(new String[] {"Idempotency-Key", "i".repeat(255 + over)});
        h.add(new String[] {"Content-Type", "application/json"});
        yield new Case(
            Category.LENGTHS,
            e.name(),
            RawHttp.Request.of("POST", e.path(), h, utf8(body(e, null, null))),
            false,
            Set.of(400),
            true);
      }
    };
  }

  private Case encodings() {
    Endpoint e = withBody();
    int kind = random.nextInt(9);
    if (kind < 5) {
      String body = body(e, null, null);
      byte[] bytes = utf8(body);
      int quote = body.indexOf("\":\"");
      if (quote < 0) {
        quote = body.indexOf("\":") - 1;
      }
      byte[][] bad = {
        {(byte) 0xff},
        {(byte) 0xc0, (byte) 0xaf},
        {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
        {(byte) 0xe2, (byte) 0x82},
        {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}
      };
      byte[] insert = bad[kind];
      int at = Math.max(2, Math.min(bytes.length - 2, quote + 3));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(bytes, 0, at);
      out.writeBytes(insert);
      out.write(bytes, at, bytes.length - at);
      return raw(Category.ENCODINGS, e, out.toByteArray(), Set.of(400));
    }
    return switch (kind) {
      case 5 -> {
        Field f = firstString(e);
        yield f == null
            ? raw(Category.ENCODINGS, e, utf8("\ufeff" + body(e, null, null)), Set.of(400))
            : bodyCase(Category.ENCODINGS, e, body(e, f.name(), q("a\\ud800b")), 400);
      }
      case 6 ->
          raw(
              Category.ENCODINGS,
              e,
              body(e, null, null).getBytes(StandardCharsets.UTF_16LE),
              Set.of(400));
      case 7 -> raw(Category.ENCODINGS, e, utf8("\ufeff" + body(e, null, null)), Set.of(400));
      default -> {
        Endpoint any = pick(endpoints);
        // in the path, some of these are answered by the connector guard, the rest by the edge
        boolean inQuery = random.nextBoolean();
        String[] bad =
            inQuery
                ? new String[] {"%ff", "%c0%af", "%e2%82", "%", "%zz", "%4"}
                : new String[] {
                  "%ff",
                  "%c0%af",
                  "%e2%82",
                  "%ed%a0%80",
                  "\u00ff\u00fe",
                  "%",
                  "%zz",
                  "%4",
                  "%00",
                  "%5C",
                  "%5c",
                  "\\",
                  "/../../.."
                };
        String b = bad[random.nextInt(bad.length)];
        String path =
            inQuery
                ? any.path() + (any.path().contains("?") ? "&" : "?") + "x=" + b
                : any.path() + b;
        yield new Case(
            Category.ENCODINGS,
            any.name(),
            json(any.method(), path, any.admin() ? masterKey : tenantKey, bodyOrNull(any)),
            any.writes(),
            Set.of(400),
            !any.admin());
      }
    };
  }

  private Case nuls() {
    int kind = random.nextInt(6);
    if (kind == 5) {
      Endpoint any = named(pick("admin-usage", "usage", "alias-history", "tenants"));
      String path =
          any.path()
              + (any.path().contains("?") ? "&" : "?")
              + pick("tenant=a%00b", "from=%00", "x=%00", "to=2026-11-01%00");
      return new Case(
          Category.NULS,
          any.name(),
          json("GET", path, any.admin() ? masterKey : tenantKey, null),
          false,
          Set.of(400),
          !any.admin());
    }
    if (kind == 4) {
      Endpoint e = named("alias-promote");
      return bodyCase(Category.NULS, e, body(e, "version", q(model + ":1\\u0000")), 400);
    }
    Endpoint e = withBody();
    Field f = firstString(e);
    if (f == null || kind == 3) {
      // a NUL in a member name, or a raw NUL byte inside a string (a control character)
      return kind == 3 && f != null
          ? raw(Category.NULS, e, utf8(body(e, f.name(), "\"a" + (char) 0 + "b\"")), Set.of(400))
          : bodyCase(Category.NULS, e, body(e, "a\\u0000", "1"), 400);
    }
    String value =
        switch (kind) {
          case 0 -> q(unq(f.valid()) + "\\u0000");
          case 1 -> q("\\u0000" + unq(f.valid()));
          default -> q("a\\u0000b");
        };
    return bodyCase(Category.NULS, e, body(e, f.name(), value), 400);
  }

  private Case trailing() {
    Endpoint e = withBody();
    String body = body(e, null, null);
    String[] tails = {" trailing", body, ",", "}", "]", " 1", " null", "{}", "\n\n{\"a\":1}"};
    String tail = tails[random.nextInt(tails.length)];
    return bodyCase(Category.TRAILING, e, body + tail, 400);
  }

  private Case overCap() {
    Endpoint e = withBody();
    long size = CAP + 1 + (long) (random.nextDouble() * 7 * CAP);
    Field f = firstString(e);
    String field = f == null ? "padding" : f.name();
    String prefix = "{\"" + field + "\":\"";
    byte[] bytes = new byte[(int) size];
    java.util.Arrays.fill(bytes, (byte) 'a');
    byte[] p = utf8(prefix);
    System.arraycopy(p, 0, bytes, 0, p.length);
    bytes[bytes.length - 2] = '"';
    bytes[bytes.length - 1] = '}';
    List<String[]> h = new ArrayList<>(auth(e.admin() ? masterKey : tenantKey));
    h.add(new String[] {"Content-Type", "application/json"});
    if (!e.admin() && random.nextBoolean()) {
      h.add(new String[] {"Idempotency-Key", "fz-" + random.nextLong()});
    }
    boolean chunked = random.nextInt(4) != 0;
    if (chunked && random.nextInt(3) == 0) {
      // spellings the connector also decodes as chunked (the body is chunked either way)
      h.add(new String[] {"Transfer-Encoding", pick("chunked, x", "chunkedx", "Chunked")});
    }
    return new Case(
        Category.OVER_CAP,
        e.name(),
        new RawHttp.Request(e.method(), e.path(), h, bytes, chunked, null),
        e.writes(),
        Set.of(413),
        !e.admin());
  }

  private Case methods() {
    Endpoint e = pick(endpoints);
    String method =
        pick("FOO", "PROPFIND", "MOVE", "LINK", "PURGE", "TRACE", "get", "post", "SEARCH", "X-Y");
    // TRACE may not carry a body at all (the connector refuses that itself, RFC 9110 §9.3.8)
    byte[] body =
        random.nextBoolean() && !method.equals("TRACE") ? utf8(body(e, null, null)) : null;
    List<String[]> h = new ArrayList<>(auth(e.admin() ? masterKey : tenantKey));
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    return new Case(
        Category.METHODS,
        e.name(),
        RawHttp.Request.of(method, e.path(), h, body),
        e.writes(),
        Set.of(405),
        !e.admin());
  }

  private Case paths() {
    int kind = random.nextInt(8);
    Endpoint e = pick(endpoints);
    String key = e.admin() ? masterKey : tenantKey;
    return switch (kind) {
      case 0 -> {
        String path = "/v1/models/" + "m".repeat(8200 + random.nextInt(20_000));
        yield new Case(
            Category.PATHS, "model", json("GET", path, tenantKey, null), false, Set.of(414), true);
      }
      case 1 -> {
        String path = e.path() + (e.path().contains("?") ? "&" : "?") + "q=" + "x".repeat(9000);
        yield new Case(
            Category.PATHS,
            e.name(),
            json(e.method(), path, key, bodyOrNull(e)),
            e.writes(),
            Set.of(414),
            !e.admin());
      }
      case 2 -> {
        String path =
            pick(
                "/v2/models",
                "/v1/nothing",
                "/v1/admin/nothing",
                "/console/missing.html",
                "/v1/models/a/b/c/d",
                "/v1/admin/tenants/"
                    + slug
                    + "/keys/"
                    + new UUID(random.nextLong(), random.nextLong())
                    + "/x",
                "/v1/admin/aliases",
                "/nothing%20here",
                "/v1/admin/tenants/no-such-tenant",
                "/v1/admin/tenants/no-such-tenant/usage/reconcile",
                "/v1/requests/" + "r".repeat(513 + random.nextInt(2000)) + "/cancel",
                "/v1/requests/%20/cancel",
                "/v1/requests/caf%C3%A9/cancel",
                "/v1/requests/no-such-request/cancel",
                "/v1/requests//cancel");
        String method = path.endsWith("reconcile") ? "POST" : pick("GET", "POST", "DELETE");
        yield new Case(
            Category.PATHS, "unknown", json(method, path, key, null), true, Set.of(), !e.admin());
      }
      case 3 -> {
        String id =
            pick(
                "not-a-uuid",
                new UUID(random.nextLong(), random.nextLong()).toString(),
                "1",
                "%20");
        String path = "/v1/admin/tenants/" + slug + pick("/keys/", "/users/") + id;
        yield new Case(
            Category.PATHS,
            "delete",
            json("DELETE", path, masterKey, null),
            true,
            Set.of(400, 404),
            false);
      }
      case 4 -> {
        String alias = pick("no-such-alias", "NoSuch", "a%20b", "a%2Fb");
        yield new Case(
            Category.PATHS,
            "rollback",
            json("POST", "/v1/admin/aliases/" + alias + "/rollback", masterKey, null),
            true,
            Set.of(400, 404),
            false);
      }
      case 5 -> {
        // the container may normalise these to the endpoint itself: a writer gets a bad body
        String path = e.path().replace("/v1/", pick("/v1//", "/v1/./", "//v1/", "/v1/x/../"));
        String body = e.writes() ? "[]" : bodyOrNull(e);
        yield new Case(
            Category.PATHS,
            e.name(),
            json(e.method(), path, key, body),
            e.writes(),
            Set.of(),
            !e.admin());
      }
      case 6 -> {
        String path = "/v1/models/" + pick("%2e%2e", "a%2Fb", "%25", "x;y=z", "%C3%BC", "..");
        yield new Case(
            Category.PATHS, "model", json("GET", path, tenantKey, null), false, Set.of(), true);
      }
      default -> deleteTenant();
    };
  }

  /**
   * {@code DELETE /v1/admin/tenants/{slug}}, never in a form that could delete: an unknown or
   * malformed slug, the tenant's own key, no key, or a body.
   */
  private Case deleteTenant() {
    String base = "/v1/admin/tenants/";
    return switch (random.nextInt(6)) {
      case 0 -> deleteCase(base + "no-such-" + random.nextInt(1000), masterKey, null, Set.of(404));
      case 1 ->
          deleteCase(base + pick("a%00b", "%ff", "a%5Cb", "a%0D%0A"), masterKey, null, Set.of(400));
      case 2 ->
          deleteCase(base + "s".repeat(64 + random.nextInt(300)), masterKey, null, Set.of(404));
      case 3 -> deleteCase(base + slug, tenantKey, null, Set.of(403));
      case 4 -> deleteCase(base + slug, null, null, Set.of(401));
      default -> deleteCase(base + slug, masterKey, "{}", Set.of(400));
    };
  }

  private Case deleteCase(String path, String key, String body, Set<Integer> expected) {
    List<String[]> h = new ArrayList<>();
    if (key != null) {
      h.add(new String[] {"Authorization", "Bearer " + key});
    }
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    return new Case(
        Category.PATHS,
        "tenant-delete",
        RawHttp.Request.of("DELETE", path, h, body == null ? null : utf8(body)),
        true,
        expected,
        tenantKey.equals(key));
  }

  private Case headers() {
    Endpoint e = pick(endpoints);
    String key = e.admin() ? masterKey : tenantKey;
    List<String[]> h = new ArrayList<>(auth(key));
    Set<Integer> expected;
    switch (random.nextInt(7)) {
      case 5 -> { // a deadline that is not a positive number of seconds (issue #16)
        h.add(
            new String[] {
              "X-Request-Timeout",
              pick("NaN", "-1", "0", "-0.0", "1e9", "Infinity", "abc", "5s", "0x10", "86401")
            });
        expected = Set.of(400);
      }
      case 6 -> { // a client request id that is not 1 to 512 printable ASCII characters
        h.add(
            new String[] {
              pick("X-Client-Request-Id", "X-Request-Id"),
              pick("a".repeat(513 + random.nextInt(3000)), "job 7", "job\t7", "a b c")
            });
        expected = Set.of(400);
      }
      case 0 -> {
        h.add(new String[] {"X-Big", "b".repeat(16_500 + random.nextInt(30_000))});
        expected = Set.of(431);
      }
      case 1 -> {
        for (int i = 0, n = 101 + random.nextInt(400); i < n; i++) {
          h.add(new String[] {"X-H" + i, "v"});
        }
        expected = Set.of(431);
      }
      case 2 -> {
        h.clear();
        h.add(new String[] {"Authorization", "Bearer " + "k".repeat(17_000)});
        expected = Set.of(431);
      }
      case 3 -> {
        h.add(new String[] {"Content-Type", pick("text/plain", "application/xml", "foo/bar")});
        expected = e.fields().length > 0 ? Set.of(415) : Set.of();
        return new Case(
            Category.HEADERS,
            e.name(),
            RawHttp.Request.of(
                e.method(), e.path(), h, e.fields().length > 0 ? utf8(body(e, null, null)) : null),
            e.writes() && expected.contains(415),
            expected,
            !e.admin());
      }
      default -> {
        h.add(new String[] {"Accept", pick("text/html", "image/png", "application/xml")});
        expected = Set.of(406);
        if (e.writes()) {
          // refused for its Accept header alone: body made invalid too, so nothing can write
          h.add(new String[] {"Content-Type", "application/json"});
          return new Case(
              Category.HEADERS,
              e.name(),
              RawHttp.Request.of(e.method(), e.path(), h, utf8("[]")),
              true,
              Set.of(400, 406),
              false);
        }
      }
    }
    if (e.fields().length > 0) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    return new Case(
        Category.HEADERS,
        e.name(),
        RawHttp.Request.of(
            e.method(), e.path(), h, bodyOrNull(e) == null ? null : utf8(bodyOrNull(e))),
        e.writes(),
        expected,
        !e.admin() && !h.isEmpty() && h.get(0)[1].equals("Bearer " + tenantKey));
  }

  private Case credentials() {
    Endpoint e = pick(endpoints);
    List<String[]> h = new ArrayList<>();
    Set<Integer> expected = Set.of(401);
    switch (random.nextInt(14)) {
      case 0 -> {} // none
      case 1 -> h.add(new String[] {"Authorization", "Basic YWRtaW46YWRtaW4="});
      case 2 -> h.add(new String[] {"Authorization", "Bearer"});
      case 3 ->
          h.add(
              new String[] {
                "Authorization", "Bearer llk_" + new UUID(random.nextLong(), random.nextLong())
              });
      case 4 -> h.add(new String[] {"Authorization", "Bearer " + masterKey + "x"});
      case 5 -> h.add(new String[] {"Authorization", "Bearer " + tenantKey.substring(1)});
      case 6 -> {
        // the other party's valid key: a tenant key on the admin API, the master key on a model
        h.add(new String[] {"Authorization", "Bearer " + (e.admin() ? tenantKey : masterKey)});
        expected =
            e.name().equals("models") || e.name().equals("model")
                ? Set.of(200, 403)
                : Set.of(403, 400);
      }
      case 8 -> h.add(new String[] {"Authorization", "Bearer " + jwtShapedGarbage(40)});
      case 9 -> // unsigned: "alg": "none", an operator's claims
          h.add(
              new String[] {
                "Authorization", "Bearer " + ItTokens.unsigned("mallory", List.of("platform-admin"))
              });
      case 10 -> // signed by the trusted key, but expired
          h.add(
              new String[] {
                "Authorization",
                "Bearer "
                    + ItTokens.token(
                        "mallory",
                        b ->
                            b.claim("groups", List.of("platform-admin"))
                                .issueTime(new java.util.Date(System.currentTimeMillis() - 900_000))
                                .expirationTime(
                                    new java.util.Date(System.currentTimeMillis() - 300_000)))
              });
      case 11 -> // signed by another key under the trusted key's id
          h.add(
              new String[] {
                "Authorization", "Bearer " + ItTokens.forged("mallory", List.of("platform-admin"))
              });
      case 12 -> // HMAC-signed, as if the public key were a shared secret
          h.add(
              new String[] {
                "Authorization",
                "Bearer "
                    + b64("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"it-key\"}")
                    + "."
                    + b64("{\"sub\":\"m\",\"groups\":[\"platform-admin\"],\"exp\":4102444800}")
                    + "."
                    + jwtShapedGarbage(1).substring(4)
              });
      case 13 -> h.add(new String[] {"Authorization", "Bearer " + jwtShapedGarbage(4_000)});
      default -> h.add(new String[] {"Authorization", "Bearer  " + " ".repeat(5)});
    }
    String body = bodyOrNull(e);
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    boolean carriesTenantKey = h.stream().anyMatch(x -> x[1].equals("Bearer " + tenantKey));
    return new Case(
        Category.CREDENTIALS,
        e.name(),
        RawHttp.Request.of(e.method(), e.path(), h, body == null ? null : utf8(body)),
        e.writes(),
        expected,
        carriesTenantKey);
  }

  /** Three base64url parts that look like a JWT and are none ({@code n} random bytes each). */
  private String jwtShapedGarbage(int n) {
    byte[] b = new byte[n];
    StringBuilder out = new StringBuilder("eyJ");
    for (int part = 0; part < 3; part++) {
      random.nextBytes(b);
      out.append(part == 0 ? "" : ".")
          .append(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(b));
    }
    return out.toString();
  }

  private static String b64(String json) {
    return java.util.Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private Case valid() {
    List<Endpoint> readers = endpoints.stream().filter(x -> !x.writes()).toList();
    Endpoint e = readers.get(random.nextInt(readers.size()));
    String body = e.fields().length == 0 ? null : body(e, "seed", "" + random.nextInt(1000));
    if (e.name().equals("loglikelihood")) {
      body = body(e, null, null);
    } else if (body != null && random.nextInt(3) == 0) {
      body = body(e, "stream", "true"); // an SSE answer, settled after its last event
    }
    String key = e.admin() ? masterKey : tenantKey;
    if (!e.admin() && random.nextInt(4) == 0) {
      List<String[]> h = new ArrayList<>(auth(key));
      if (body != null) {
        h.add(new String[] {"Content-Type", "application/json"});
        h.add(new String[] {"Idempotency-Key", "fz-valid-" + random.nextLong()});
      }
      return new Case(
          Category.VALID,
          e.name(),
          RawHttp.Request.of(e.method(), e.path(), h, body == null ? null : utf8(body)),
          false,
          Set.of(200),
          true);
    }
    return new Case(
        Category.VALID,
        e.name(),
        json(e.method(), e.path(), key, body),
        false,
        Set.of(200),
        !e.admin());
  }

  // --- helpers ------------------------------------------------------------------------------

  private Case bodyCase(Category c, Endpoint e, String body, int expected) {
    return raw(c, e, utf8(body), Set.of(expected));
  }

  private Case bodyCase(
      Category c,
      Endpoint e,
      java.util.function.BiFunction<Endpoint, Field, String> value,
      int expected) {
    Field f = pick(e.fields());
    return bodyCase(c, e, body(e, f.name(), value.apply(e, f)), expected);
  }

  private Case raw(Category c, Endpoint e, byte[] body, Set<Integer> expected) {
    String key = e.admin() ? masterKey : tenantKey;
    List<String[]> h = new ArrayList<>(auth(key));
    h.add(new String[] {"Content-Type", "application/json"});
    return new Case(
        c,
        e.name(),
        RawHttp.Request.of(e.method(), e.path(), h, body),
        e.writes(),
        expected,
        !e.admin());
  }

  private RawHttp.Request json(String method, String path, String key, String body) {
    List<String[]> h = new ArrayList<>(auth(key));
    if (body != null) {
      h.add(new String[] {"Content-Type", "application/json"});
    }
    return RawHttp.Request.of(method, path, h, body == null ? null : utf8(body));
  }

  private static List<String[]> auth(String key) {
    return List.<String[]>of(new String[] {"Authorization", "Bearer " + key});
  }

  /** The endpoint's valid body with {@code field} set to the raw JSON {@code value}. */
  private static String body(Endpoint e, String field, String value) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (Field f : e.fields()) {
      fields.put(f.name(), f.valid());
    }
    if (field != null) {
      fields.put(field, value);
    }
    StringBuilder out = new StringBuilder("{");
    fields.forEach(
        (k, v) -> out.append(out.length() > 1 ? "," : "").append(q(k)).append(':').append(v));
    return out.append('}').toString();
  }

  private static String bodyOrNull(Endpoint e) {
    return e.fields().length == 0 ? null : body(e, null, null);
  }

  private String nest(Field f, int depth) {
    boolean arrays = random.nextBoolean();
    return arrays
        ? "[".repeat(depth) + "]".repeat(depth)
        : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
  }

  private Endpoint withBody() {
    List<Endpoint> e = endpoints.stream().filter(x -> x.fields().length > 0).toList();
    return e.get(random.nextInt(e.size()));
  }

  private Endpoint named(String name) {
    return endpoints.stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }

  private static Field firstString(Endpoint e) {
    for (Field f : e.fields()) {
      if (f.kind() == Kind.STRING) {
        return f;
      }
    }
    return null;
  }

  @SafeVarargs
  private <T> T pick(T... options) {
    return options[random.nextInt(options.length)];
  }

  private <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static String q(String s) {
    return "\"" + s + "\"";
  }

  private static String unq(String s) {
    return s.substring(1, s.length() - 1);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}

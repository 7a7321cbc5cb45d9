package dev.llada.worker.remote;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepEvent;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelRef;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The platform–worker protocol (docs/adr/0021): JSON over HTTP/1.1, a generation's steps streamed
 * as JSON lines. Both sides prove they hold the shared secret with HMAC-SHA256 — the platform over
 * a timestamp, a nonce and the request line, the worker over that nonce in its answer — so neither
 * the secret nor a reusable token crosses the wire, and both send {@link #PROTOCOL}, refusing a
 * peer of another version.
 */
public final class WorkerWire {

  private WorkerWire() {}

  /** The version of this protocol; a worker and a platform of different versions do not talk. */
  public static final int PROTOCOL = 1;

  public static final String PROTOCOL_HEADER = "X-Llada-Worker-Protocol";
  public static final String AUTH_HEADER = "X-Llada-Worker-Auth";
  public static final String PROOF_HEADER = "X-Llada-Worker-Proof";

  /** How far a request's timestamp may be from the worker's clock. */
  static final long MAX_SKEW_MILLIS = 60_000;

  /** The shortest shared secret either side accepts. */
  public static final int MIN_SECRET_LENGTH = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The platform's credential for {@code method path}: {@code millis.nonce.hmac}. */
  public static String authorization(String secret, String method, String path) {
    long now = System.currentTimeMillis();
    byte[] n = new byte[16];
    RANDOM.nextBytes(n);
    String nonce = HexFormat.of().formatHex(n);
    return now
        + "."
        + nonce
        + "."
        + hmac(secret, "platform|" + now + "|" + nonce + "|" + method + "|" + path);
  }

  /** The nonce of a valid credential for {@code method path}, or null when it is not one. */
  static String verify(String secret, String header, String method, String path, long now) {
    if (header == null) {
      return null;
    }
    String[] parts = header.split("\\.", -1);
    if (parts.length != 3 || !parts[1].matches("[0-9a-f]{32}")) {
      return null;
    }
    long at;
    try {
      at = Long.parseLong(parts[0]);
    } catch (NumberFormatException e) {
      return null;
    }
    if (Math.abs(now - at) > MAX_SKEW_MILLIS) {
      return null;
    }
    String expected = hmac(secret, "platform|" + at + "|" + parts[1] + "|" + method + "|" + path);
    return MessageDigest.isEqual(
            expected.getBytes(StandardCharsets.US_ASCII),
            parts[2].getBytes(StandardCharsets.US_ASCII))
        ? parts[1]
        : null;
  }

  /** The worker's proof that it holds the secret, over the platform's nonce. */
  static String proof(String secret, String nonce) {
    return hmac(secret, "worker|" + nonce);
  }

  /** Whether {@code proof} answers the credential {@code authorization} the platform sent. */
  public static boolean proves(String secret, String authorization, String proof) {
    if (proof == null) {
      return false;
    }
    String nonce = authorization.split("\\.", -1)[1];
    return MessageDigest.isEqual(
        proof(secret, nonce).getBytes(StandardCharsets.US_ASCII),
        proof.getBytes(StandardCharsets.US_ASCII));
  }

  private static String hmac(String secret, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  // --- the messages ---

  /** A generation as the worker runs it: the job without its listener and cancel flag. */
  public record Generation(
      String jobId,
      ModelRef model,
      int[] promptIds,
      SamplingConfig config,
      long seed,
      Acceleration acceleration,
      String tenant,
      double weight) {}

  /** A likelihood as the worker runs it. */
  public record Likelihood(
      String jobId,
      ModelRef model,
      int[] contextIds,
      int[] continuationIds,
      int mcNum,
      int batchSize,
      double cfgScale,
      long seed) {}

  static JsonObject read(String text) {
    try (var reader = Json.createReader(new StringReader(text))) {
      return reader.readObject();
    }
  }

  static JsonObject model(ModelRef m) {
    return Json.createObjectBuilder()
        .add("name", m.name())
        .add("directory", m.directory().toString())
        .add("digest", m.digest())
        .build();
  }

  static ModelRef model(JsonObject o) {
    return new ModelRef(
        o.getString("name"), Path.of(o.getString("directory")), o.getString("digest"));
  }

  public static String encode(Generation g) {
    SamplingConfig c = g.config();
    JsonObjectBuilder config =
        Json.createObjectBuilder()
            .add("steps", c.steps())
            .add("gen_length", c.genLength())
            .add("block_length", c.blockLength())
            .add("temperature", c.temperature())
            .add("cfg_scale", c.cfgScale())
            .add("remasking", c.remasking().name())
            .add("logits_eos_inf", c.logitsEosInf())
            .add("confidence_eos_eot_inf", c.confidenceEosEotInf());
    JsonObjectBuilder o =
        Json.createObjectBuilder()
            .add("job_id", g.jobId())
            .add("model", model(g.model()))
            .add("prompt_ids", ints(g.promptIds()))
            .add("config", config)
            .add("seed", g.seed())
            .add("tenant", g.tenant())
            .add("weight", g.weight());
    Acceleration a = g.acceleration();
    if (a == null) {
      o.addNull("acceleration");
    } else {
      JsonObjectBuilder ab =
          Json.createObjectBuilder()
              .add("cache", a.cache().name())
              .add("early_stop", a.earlyStop())
              .add("incremental_refresh", a.incrementalRefresh());
      if (a.parallel() == null) {
        ab.addNull("parallel");
      } else {
        ab.add(
            "parallel",
            Json.createObjectBuilder()
                .add("rule", a.parallel().rule().name())
                .add("value", a.parallel().value()));
      }
      o.add("acceleration", ab);
    }
    return o.build().toString();
  }

  public static Generation generation(String text) {
    JsonObject o = read(text);
    JsonObject c = o.getJsonObject("config");
    SamplingConfig config =
        new SamplingConfig(
            c.getInt("steps"),
            c.getInt("gen_length"),
            c.getInt("block_length"),
            c.getJsonNumber("temperature").doubleValue(),
            c.getJsonNumber("cfg_scale").doubleValue(),
            Remasking.valueOf(c.getString("remasking")),
            c.getBoolean("logits_eos_inf"),
            c.getBoolean("confidence_eos_eot_inf"));
    Acceleration acceleration = null;
    if (o.get("acceleration") instanceof JsonObject a) {
      ParallelDecoding parallel = null;
      if (a.get("parallel") instanceof JsonObject p) {
        parallel =
            new ParallelDecoding(
                ParallelDecoding.Rule.valueOf(p.getString("rule")),
                p.getJsonNumber("value").doubleValue());
      }
      acceleration =
          new Acceleration(
              parallel,
              Acceleration.Cache.valueOf(a.getString("cache")),
              a.getBoolean("early_stop"),
              a.getBoolean("incremental_refresh"));
    }
    return new Generation(
        o.getString("job_id"),
        model(o.getJsonObject("model")),
        ints(o.getJsonArray("prompt_ids")),
        config,
        o.getJsonNumber("seed").longValue(),
        acceleration,
        o.getString("tenant"),
        o.getJsonNumber("weight").doubleValue());
  }

  public static String encode(Likelihood l) {
    return Json.createObjectBuilder()
        .add("job_id", l.jobId())
        .add("model", model(l.model()))
        .add("context_ids", ints(l.contextIds()))
        .add("continuation_ids", ints(l.continuationIds()))
        .add("mc_num", l.mcNum())
        .add("batch_size", l.batchSize())
        .add("cfg_scale", l.cfgScale())
        .add("seed", l.seed())
        .build()
        .toString();
  }

  public static Likelihood likelihood(String text) {
    JsonObject o = read(text);
    return new Likelihood(
        o.getString("job_id"),
        model(o.getJsonObject("model")),
        ints(o.getJsonArray("context_ids")),
        ints(o.getJsonArray("continuation_ids")),
        o.getInt("mc_num"),
        o.getInt("batch_size"),
        o.getJsonNumber("cfg_scale").doubleValue(),
        o.getJsonNumber("seed").longValue());
  }

  /** A step as one line: {@code {"type":"step",…}}. */
  static String step(StepEvent e) {
    JsonArrayBuilder positions = Json.createArrayBuilder();
    JsonArrayBuilder tokens = Json.createArrayBuilder();
    JsonArrayBuilder confidences = Json.createArrayBuilder();
    for (int r = 0; r < e.positions().length; r++) {
      positions.add(ints(e.positions()[r]));
      tokens.add(ints(e.tokens()[r]));
      JsonArrayBuilder c = Json.createArrayBuilder();
      for (double d : e.confidences()[r]) {
        c.add(Double.isFinite(d) ? d : 0);
      }
      confidences.add(c);
    }
    return Json.createObjectBuilder()
        .add("type", "step")
        .add("step", e.step())
        .add("block", e.block())
        .add("positions", positions)
        .add("tokens", tokens)
        .add("confidences", confidences)
        .add("query_positions", e.queryPositions())
        .build()
        .toString();
  }

  public static StepEvent step(JsonObject o) {
    JsonArray p = o.getJsonArray("positions");
    int[][] positions = new int[p.size()][];
    int[][] tokens = new int[p.size()][];
    double[][] confidences = new double[p.size()][];
    for (int r = 0; r < p.size(); r++) {
      positions[r] = ints(p.getJsonArray(r));
      tokens[r] = ints(o.getJsonArray("tokens").getJsonArray(r));
      JsonArray c = o.getJsonArray("confidences").getJsonArray(r);
      confidences[r] = new double[c.size()];
      for (int i = 0; i < c.size(); i++) {
        confidences[r][i] = c.getJsonNumber(i).doubleValue();
      }
    }
    return new StepEvent(
        o.getInt("step"),
        o.getInt("block"),
        positions,
        tokens,
        confidences,
        o.getJsonNumber("query_positions").longValue());
  }

  static String result(GenerationResult r) {
    return Json.createObjectBuilder()
        .add("type", "result")
        .add("completion_ids", ints(r.completionIds()))
        .add("text", r.text())
        .add("finish_reason", r.finishReason())
        .add("steps", r.steps())
        .add("nfe", r.nfe())
        .add("millis", r.millis())
        .add("compute_units", r.computeUnits())
        .build()
        .toString();
  }

  public static GenerationResult result(JsonObject o) {
    return new GenerationResult(
        ints(o.getJsonArray("completion_ids")),
        o.getString("text"),
        o.getString("finish_reason"),
        o.getInt("steps"),
        o.getInt("nfe"),
        o.getJsonNumber("millis").longValue(),
        o.getJsonNumber("compute_units").longValue());
  }

  static String result(LikelihoodResult r) {
    return Json.createObjectBuilder()
        .add("type", "result")
        .add("log_likelihood", r.logLikelihood())
        .add("standard_error", Double.isFinite(r.standardError()) ? r.standardError() : -1)
        .add("mc_num", r.mcNum())
        .add("nfe", r.nfe())
        .add("millis", r.millis())
        .build()
        .toString();
  }

  public static LikelihoodResult likelihoodResult(JsonObject o) {
    double se = o.getJsonNumber("standard_error").doubleValue();
    return new LikelihoodResult(
        o.getJsonNumber("log_likelihood").doubleValue(),
        se < 0 ? Double.NaN : se,
        o.getInt("mc_num"),
        o.getInt("nfe"),
        o.getJsonNumber("millis").longValue());
  }

  /**
   * A refusal or failure as one line: {@code kind} busy | tenant_busy | does_not_fit | cancelled |
   * stopping | invalid | failed, with the steps that ran.
   */
  static String error(String kind, String message, int stepsRun) {
    return Json.createObjectBuilder()
        .add("type", "error")
        .add("kind", kind)
        .add("message", message == null ? kind : message)
        .add("steps_run", stepsRun)
        .build()
        .toString();
  }

  static JsonArrayBuilder ints(int[] values) {
    JsonArrayBuilder a = Json.createArrayBuilder();
    for (int v : values) {
      a.add(v);
    }
    return a;
  }

  static int[] ints(JsonArray a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getInt(i);
    }
    return out;
  }

  static boolean isNull(JsonObject o, String name) {
    return !o.containsKey(name) || o.get(name) == JsonValue.NULL;
  }
}

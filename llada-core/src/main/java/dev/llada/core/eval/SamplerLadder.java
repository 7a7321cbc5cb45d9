package dev.llada.core.eval;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.llada.core.model.MaskPredictor;
import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.Denoising;
import dev.llada.core.sampling.FastSampler;
import dev.llada.core.sampling.Generation;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.ReferenceSampler;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.Sampler;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.SpecialTokens;
import dev.llada.core.sampling.StepBatcher;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.Canvas;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The method ladder of acceleration.md §9.2 (issue #15 item 5): every method on the same held-out
 * items of each task, one request at a time, T = 0, steps = gen_length (one token a step for B0),
 * block 32; per item its correctness, answer, NFE, positions computed and wall time go to a JSON
 * lines file, so that a long run resumes where it stopped and every method is compared on the same
 * items. The report: accuracy, Δ vs B0 with McNemar's p, identical answers, NFE, tokens per
 * forward, positions computed, useful tokens/s and the speedup over B0 measured in the same run;
 * then batch scaling of one method through the {@link StepBatcher}.
 */
public final class SamplerLadder {

  /** One row of the ladder: an id and the fast sampler's switches (null: the reference, B0). */
  public record Method(String id, Acceleration acceleration) {}

  private static final ParallelDecoding TAU = ParallelDecoding.threshold(0.9);

  /** The ladder's rows, in order; the Fast-dLLM recipe (dual cache + τ = 0.9) is the anchor. */
  public static List<Method> methods() {
    Acceleration.Cache none = Acceleration.Cache.NONE;
    Acceleration.Cache prefix = Acceleration.Cache.PREFIX;
    Acceleration.Cache dual = Acceleration.Cache.DUAL;
    return List.of(
        new Method("B0", null),
        new Method("B0+stop", new Acceleration(null, none, true)),
        new Method("tau", new Acceleration(TAU, none, false)),
        new Method("prefix", new Acceleration(null, prefix, false)),
        new Method("dual", new Acceleration(null, dual, false)),
        new Method("fast-dllm", new Acceleration(TAU, dual, false)),
        new Method("factor", new Acceleration(ParallelDecoding.factor(1.0), dual, false)),
        new Method("dual+inc", new Acceleration(null, dual, false, true)),
        new Method("fast-dllm+stop", new Acceleration(TAU, dual, true)),
        new Method("fast-dllm+inc", new Acceleration(TAU, dual, false, true)),
        new Method("tau+stop", new Acceleration(TAU, none, true)),
        new Method("dual+inc+stop", new Acceleration(null, dual, true, true)),
        new Method("ours", new Acceleration(TAU, dual, true, true)));
  }

  /** One item's outcome under one method. */
  record Outcome(
      boolean correct, String answer, int useful, int nfe, long queryPositions, double millis) {}

  private final MaskPredictor model;
  private final LladaTokenizer tokenizer;
  private final SpecialTokens special;
  private final Path results;
  private final Map<String, Outcome> done = new LinkedHashMap<>();

  /**
   * VmHWM after each (task, method) run in this process: a high-water mark, so it only grows
   * through the ladder; a method's own peak is at most its value (a fresh process per method gives
   * each its own).
   */
  private final Map<String, Double> peakRss = new LinkedHashMap<>();

  private final PrintStream log;

  /** A ladder whose per-item outcomes are kept in {@code results} (read first when it exists). */
  public SamplerLadder(
      MaskPredictor model, LladaTokenizer tokenizer, Path results, PrintStream log) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.special = SpecialTokens.of(model.config(), tokenizer);
    this.results = results;
    this.log = log;
    if (Files.isRegularFile(results)) {
      try {
        for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
          if (line.isBlank()) {
            continue;
          }
          JsonObject o = JsonParser.parseString(line).getAsJsonObject();
          done.put(
              key(
                  o.get("task").getAsString(),
                  o.get("gen").getAsInt(),
                  o.get("block").getAsInt(),
                  o.get("method").getAsString(),
                  o.get("item").getAsInt()),
              new Outcome(
                  o.get("correct").getAsBoolean(),
                  o.get("answer").getAsString(),
                  o.get("useful").getAsInt(),
                  o.get("nfe").getAsInt(),
                  o.get("query_positions").getAsLong(),
                  o.get("ms").getAsDouble()));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static String key(String task, int gen, int block, String method, int item) {
    return task + "|" + gen + "|" + block + "|" + method + "|" + item;
  }

  /** The held-out items of {@code task}: the same for every method and every run. */
  public static List<Example> items(Task task, int n) {
    SplittableRandom random = new SplittableRandom(20261202L);
    List<Example> items = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      items.add(task.next(random, true));
    }
    return items;
  }

  private SamplingConfig config(int gen, int block) {
    return new SamplingConfig(gen, gen, block, 0, 0, Remasking.LOW_CONFIDENCE, false, false);
  }

  private Sampler sampler(Method m) {
    return m.acceleration() == null
        ? new ReferenceSampler(model, special)
        : new FastSampler(model, special, m.acceleration());
  }

  /** Runs what the results file does not hold yet of {@code methods} on {@code task}. */
  public void run(Task task, int n, int block, List<Method> methods) {
    int gen = task.genLength();
    List<Example> items = items(task, n);
    for (Method m : methods) {
      Sampler sampler = sampler(m);
      int ran = 0;
      for (int i = 0; i < items.size(); i++) {
        String key = key(task.name(), gen, block, m.id(), i);
        if (done.containsKey(key)) {
          continue;
        }
        Example e = items.get(i);
        int[] prompt = Canvas.chatPrompt(tokenizer, e.question());
        long t0 = System.nanoTime();
        Generation g =
            sampler.generate(
                new int[][] {prompt}, null, config(gen, block), new SplittableRandom(0), s -> {});
        double ms = (System.nanoTime() - t0) / 1e6;
        int[] answer = g.answer(0, special);
        String text = tokenizer.decode(answer, true).strip();
        Outcome o =
            new Outcome(
                task.accepts(e, text), text, answer.length, g.nfe(), g.queryPositions(), ms);
        record(task.name(), gen, block, m.id(), i, o);
        ran++;
      }
      if (ran > 0) {
        log.printf(Locale.ROOT, "[ladder] %s %s: %d items%n", task.name(), m.id(), ran);
        peakRss.put(task.name() + "|" + m.id(), peakRssMiB());
      }
    }
  }

  private void record(String task, int gen, int block, String method, int item, Outcome o) {
    done.put(key(task, gen, block, method, item), o);
    JsonObject j = new JsonObject();
    j.addProperty("task", task);
    j.addProperty("gen", gen);
    j.addProperty("block", block);
    j.addProperty("method", method);
    j.addProperty("item", item);
    j.addProperty("correct", o.correct());
    j.addProperty("answer", o.answer());
    j.addProperty("useful", o.useful());
    j.addProperty("nfe", o.nfe());
    j.addProperty("query_positions", o.queryPositions());
    j.addProperty("ms", o.millis());
    try {
      Files.writeString(
          results,
          new Gson().toJson(j) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The table of {@code task} over the items every listed method has, as Markdown. */
  public String report(Task task, int n, int block, List<Method> methods) {
    int gen = task.genLength();
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            Locale.ROOT,
            "%n**%s** (gen_length %d, block %d)%n%n| method | n | accuracy | Δ vs B0 | McNemar p |"
                + " same answer | NFE | tokens/forward | positions computed | useful tok/s |"
                + " speedup | cache MiB | peak RSS MiB |%n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|%n",
            task.name(),
            gen,
            block));
    List<Outcome> base = outcomes(task.name(), gen, block, "B0", n);
    double baseTps = base == null ? Double.NaN : usefulTps(base);
    for (Method m : methods) {
      List<Outcome> o = outcomes(task.name(), gen, block, m.id(), n);
      if (o == null) {
        continue;
      }
      int correct = (int) o.stream().filter(Outcome::correct).count();
      String delta = "–";
      String p = "–";
      String same = "–";
      if (base != null) {
        int b = 0;
        int c = 0;
        int identical = 0;
        for (int i = 0; i < o.size(); i++) {
          b += base.get(i).correct() && !o.get(i).correct() ? 1 : 0;
          c += !base.get(i).correct() && o.get(i).correct() ? 1 : 0;
          identical += base.get(i).answer().equals(o.get(i).answer()) ? 1 : 0;
        }
        int baseCorrect = (int) base.stream().filter(Outcome::correct).count();
        delta = String.format(Locale.ROOT, "%+.1f", 100.0 * (correct - baseCorrect) / o.size());
        p = String.format(Locale.ROOT, "%.3f", McNemar.p(b, c));
        same = String.format(Locale.ROOT, "%.0f %%", 100.0 * identical / o.size());
      }
      double nfe = o.stream().mapToInt(Outcome::nfe).average().orElse(0);
      double useful = o.stream().mapToInt(Outcome::useful).average().orElse(0);
      double positions = o.stream().mapToLong(Outcome::queryPositions).average().orElse(0);
      double tps = usefulTps(o);
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.1f %% | %s | %s | %s | %.1f | %.2f | %.0f | %.1f | %s | %s | %s |%n",
              m.id(),
              o.size(),
              100.0 * correct / o.size(),
              delta,
              p,
              same,
              nfe,
              nfe == 0 ? 0 : useful / nfe,
              positions,
              tps,
              Double.isNaN(baseTps) ? "–" : String.format(Locale.ROOT, "%.2f×", tps / baseTps),
              cacheMiB(m, task, n),
              peakRss.containsKey(task.name() + "|" + m.id())
                  ? String.format(Locale.ROOT, "%.0f", peakRss.get(task.name() + "|" + m.id()))
                  : "–"));
    }
    return out.toString();
  }

  /**
   * The largest KV cache one request of the method holds: every layer's K and V over the longest
   * canvas of the items (float32), "–" without a cache.
   */
  private String cacheMiB(Method m, Task task, int n) {
    if (m.acceleration() == null || m.acceleration().cache() == Acceleration.Cache.NONE) {
      return "–";
    }
    int longest = 0;
    for (Example e : items(task, n)) {
      longest = Math.max(longest, Canvas.chatPrompt(tokenizer, e.question()).length);
    }
    var c = model.config();
    double bytes =
        (double) (longest + task.genLength()) * c.nLayers() * 2 * c.nKvHeads() * c.headDim() * 4;
    return String.format(Locale.ROOT, "%.2f", bytes / (1 << 20));
  }

  /** The process's peak resident set so far (VmHWM), in MiB; NaN where /proc is not there. */
  static double peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }

  /** Useful tokens (the answers, up to the first EOS) per second of generation. */
  private static double usefulTps(List<Outcome> o) {
    double ms = o.stream().mapToDouble(Outcome::millis).sum();
    return ms == 0 ? 0 : o.stream().mapToInt(Outcome::useful).sum() / (ms / 1000);
  }

  /** The first {@code n} items' outcomes of one method, or null while any is missing. */
  private List<Outcome> outcomes(String task, int gen, int block, String method, int n) {
    List<Outcome> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Outcome o = done.get(key(task, gen, block, method, i));
      if (o == null) {
        return null;
      }
      out.add(o);
    }
    return out;
  }

  /**
   * Useful tokens/s of {@code method} on the items served through the step-level batcher with up to
   * {@code batch} requests in flight (continuous batching: a finished request's place goes to the
   * next item at the next step), and the accuracy; not stored.
   */
  public double[] batched(Task task, int n, int block, Method method, int batch) {
    int gen = task.genLength();
    List<Example> items = items(task, n);
    StepBatcher batcher = new StepBatcher(model, special);
    long useful = 0;
    int correct = 0;
    long t0 = System.nanoTime();
    List<Denoising> inFlight = new ArrayList<>();
    List<Integer> itemOf = new ArrayList<>();
    int next = 0;
    while (next < items.size() || !inFlight.isEmpty()) {
      while (inFlight.size() < batch && next < items.size()) { // joins at a step boundary
        int[] prompt = Canvas.chatPrompt(tokenizer, items.get(next).question());
        inFlight.add(
            batcher.request(
                prompt, config(gen, block), method.acceleration(), new SplittableRandom(0), null));
        itemOf.add(next++);
      }
      batcher.step(inFlight);
      for (int k = inFlight.size() - 1; k >= 0; k--) {
        Denoising d = inFlight.get(k);
        if (d.done()) { // leaves: its answer is scored
          int[] answer = d.result().answer(0, special);
          useful += answer.length;
          String text = tokenizer.decode(answer, true).strip();
          correct += task.accepts(items.get(itemOf.get(k)), text) ? 1 : 0;
          inFlight.remove(k);
          itemOf.remove(k);
        }
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new double[] {useful / seconds, (double) correct / items.size()};
  }
}

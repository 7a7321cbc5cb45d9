package dev.llada.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * The worker's devices (issue #16 item 5): one {@link LocalWorkerPool} per slot — {@code
 * LLADA_DEVICES} lists devices, each with a number of slots ({@code cpu:2}, {@code gpu0,gpu1}) —
 * behind one {@link WorkerPool}. Each slot has its own inference thread, its own resident models
 * and its share of its device's memory. A request goes to a slot its model may run on (models can
 * be pinned to devices), preferring one that holds the model already, unless that one is so busy
 * that loading a second copy on an idle slot is cheaper (a load counts as {@code 2 × maxBatch}
 * waiting requests); among equals, the least busy, then the one with the most free memory.
 */
public final class DevicePool implements WorkerPool {

  private final List<LocalWorkerPool> slots;
  private final Map<String, Set<String>> pinned;
  private final int coldPenalty;

  /**
   * @param slots the workers, one per slot (at least one)
   * @param pinned model name → the devices it may run on; a model not named runs anywhere
   * @param maxBatch the slots' batch size (weighs a cold start against a queue)
   */
  public DevicePool(List<LocalWorkerPool> slots, Map<String, Set<String>> pinned, int maxBatch) {
    if (slots.isEmpty()) {
      throw new IllegalArgumentException("a device pool needs at least one slot");
    }
    Set<String> devices = new LinkedHashSet<>();
    slots.forEach(s -> devices.add(s.device()));
    pinned.forEach(
        (model, on) -> {
          for (String d : on) {
            if (!devices.contains(d)) {
              throw new IllegalArgumentException(
                  "the model '"
                      + model
                      + "' is pinned to "
                      + d
                      + ", which is not among the devices "
                      + devices);
            }
          }
        });
    this.slots = List.copyOf(slots);
    this.pinned = Map.copyOf(pinned);
    this.coldPenalty = 2 * maxBatch;
  }

  /**
   * A pool for {@code devices} ({@link #parseDevices}), each slot with its device's budget divided
   * among the device's slots.
   *
   * @param budget a device's whole budget, by device name
   */
  public static DevicePool of(
      java.util.concurrent.ThreadFactory threads,
      Map<String, Integer> devices,
      ToLongFunction<String> budget,
      int maxBatch,
      Map<String, Set<String>> pinned,
      WorkerMetrics metrics) {
    return of(
        threads,
        devices,
        budget,
        maxBatch,
        pinned,
        metrics,
        dev.llada.core.model.Precision.FLOAT32);
  }

  /**
   * As above, the dense models' forwards computing in {@code precision} ({@link ModelLoader#in}).
   */
  public static DevicePool of(
      java.util.concurrent.ThreadFactory threads,
      Map<String, Integer> devices,
      ToLongFunction<String> budget,
      int maxBatch,
      Map<String, Set<String>> pinned,
      WorkerMetrics metrics,
      dev.llada.core.model.Precision precision) {
    ModelLoader loader = ModelLoader.in(precision);
    List<LocalWorkerPool> slots = new ArrayList<>();
    try {
      devices.forEach(
          (device, n) -> {
            long each = budget.applyAsLong(device) / n;
            for (int i = 0; i < n; i++) {
              slots.add(
                  new LocalWorkerPool(
                          threads,
                          device,
                          each,
                          maxBatch,
                          LocalWorkerPool.DEFAULT_MAX_QUEUED_PER_TENANT,
                          LocalWorkerPool.DEFAULT_MAX_QUEUED,
                          loader)
                      .observedBy(metrics));
            }
          });
      return new DevicePool(slots, pinned, maxBatch);
    } catch (RuntimeException e) {
      slots.forEach(LocalWorkerPool::close);
      throw e;
    }
  }

  /**
   * {@code LLADA_DEVICES}: comma-separated devices, each {@code cpu}, {@code gpuN} or {@code gpu}
   * (= gpu0), with an optional {@code :slots} (1 to 64); each device once. Device → slots, in
   * order.
   */
  public static Map<String, Integer> parseDevices(String text) {
    Map<String, Integer> devices = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException(
          "LLADA_DEVICES is empty (write e.g. cpu, cpu:2 or gpu0,gpu1)");
    }
    for (String entry : text.split(",")) {
      String e = entry.strip().toLowerCase(java.util.Locale.ROOT);
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(cpu|gpu\\d{0,2})(?::(\\d{1,3}))?").matcher(e);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "LLADA_DEVICES: '"
                + entry.strip()
                + "' is not a device (write cpu, gpuN, optionally :slots, e.g. cpu:2,gpu0)");
      }
      String device = m.group(1).equals("gpu") ? "gpu0" : m.group(1);
      int n = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
      if (n < 1 || n > 64) {
        throw new IllegalArgumentException(
            "LLADA_DEVICES: '" + entry.strip() + "' asks for " + n + " slots (1 to 64)");
      }
      if (devices.put(device, n) != null) {
        throw new IllegalArgumentException(
            "LLADA_DEVICES lists " + device + " twice (write " + device + ":2 for two slots)");
      }
    }
    return devices;
  }

  /**
   * {@code LLADA_MODEL_DEVICES}: {@code model=device[,device];model=device}; blank: none pinned.
   */
  public static Map<String, Set<String>> parsePinning(String text) {
    Map<String, Set<String>> pinned = new LinkedHashMap<>();
    if (text == null || text.isBlank()) {
      return pinned;
    }
    for (String entry : text.split(";")) {
      String[] kv = entry.split("=", 2);
      if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
        throw new IllegalArgumentException(
            "LLADA_MODEL_DEVICES: '"
                + entry.strip()
                + "' is not model=device[,device] (e.g. llada-8b-instruct=gpu0,gpu1;"
                + "llada-tiny-instruct=cpu)");
      }
      Set<String> on = new LinkedHashSet<>();
      for (String d : kv[1].split(",")) {
        String device = d.strip().toLowerCase(java.util.Locale.ROOT);
        on.add(device.equals("gpu") ? "gpu0" : device);
      }
      if (pinned.put(kv[0].strip(), on) != null) {
        throw new IllegalArgumentException(
            "LLADA_MODEL_DEVICES pins '" + kv[0].strip() + "' twice");
      }
    }
    return pinned;
  }

  /** The slots, in the order of {@code LLADA_DEVICES}. */
  public List<LocalWorkerPool> slots() {
    return slots;
  }

  /** The slots {@code model} may run on and fits, best first (see the class comment). */
  private List<LocalWorkerPool> candidates(ModelRef model) {
    Set<String> allowed = pinned.get(model.name());
    List<LocalWorkerPool> mine = new ArrayList<>();
    ModelDoesNotFitException refusal = null;
    for (LocalWorkerPool s : slots) {
      if (allowed != null && !allowed.contains(s.device())) {
        continue;
      }
      try {
        s.checkFits(model);
        mine.add(s);
      } catch (ModelDoesNotFitException e) {
        refusal = e;
      }
    }
    if (mine.isEmpty() && refusal != null) {
      throw refusal;
    }
    record Ranked(LocalWorkerPool slot, int cost, long free) {}
    // one snapshot of each slot's load: the slots change it while we sort
    return mine.stream()
        .map(
            s -> new Ranked(s, s.outstanding() + (s.holds(model) ? 0 : coldPenalty), s.freeBytes()))
        .sorted(
            Comparator.comparingInt(Ranked::cost)
                .thenComparing(Comparator.comparingLong(Ranked::free).reversed()))
        .map(Ranked::slot)
        .toList();
  }

  @Override
  public int[] encode(ModelRef model, String text) {
    return slots.get(0).encode(model, text);
  }

  @Override
  public String decode(ModelRef model, int[] ids) {
    return slots.get(0).decode(model, ids);
  }

  @Override
  public ModelLimits limits(ModelRef model) {
    return slots.get(0).limits(model);
  }

  @Override
  public int tokensPerImage(ModelRef model) {
    return slots.get(0).tokensPerImage(model);
  }

  @Override
  public dev.llada.core.vision.ImagePrompt encode(ModelRef model, String text, int images) {
    return slots.get(0).encode(model, text, images);
  }

  @Override
  public float[] pixels(ModelRef model, java.awt.image.BufferedImage image) {
    return slots.get(0).pixels(model, image);
  }

  /** Room when any slot has room for the tenant; else the last slot's refusal. */
  @Override
  public void checkRoom(String tenant) {
    RuntimeException last = null;
    for (LocalWorkerPool s : slots) {
      try {
        s.checkRoom(tenant);
        return;
      } catch (WorkerBusyException | WorkerStoppingException e) {
        last = e;
      }
    }
    throw last;
  }

  @Override
  public void checkFits(ModelRef model) {
    candidates(model);
  }

  /** Sends the job to its best slot; one whose queue refuses at once passes it to the next. */
  private <T> CompletableFuture<T> route(
      ModelRef model, Function<LocalWorkerPool, CompletableFuture<T>> send) {
    List<LocalWorkerPool> candidates;
    try {
      candidates = candidates(model);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> f = null;
    for (LocalWorkerPool s : candidates) {
      f = send.apply(s);
      if (!(f.isCompletedExceptionally() && refusedAsBusy(f))) {
        return f;
      }
    }
    return f != null
        ? f
        : CompletableFuture.failedFuture(
            new IllegalStateException("no device may run '" + model.name() + "'"));
  }

  private static boolean refusedAsBusy(CompletableFuture<?> f) {
    try {
      f.getNow(null);
      return false;
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause() instanceof WorkerBusyException;
    } catch (java.util.concurrent.CancellationException e) {
      return false;
    }
  }

  @Override
  public CompletableFuture<GenerationResult> generate(GenerationJob job) {
    return route(job.model(), s -> s.generate(job));
  }

  @Override
  public CompletableFuture<LikelihoodResult> loglikelihood(LikelihoodJob job) {
    return route(job.model(), s -> s.loglikelihood(job));
  }

  /**
   * Loads {@code model} ahead of its first request: on every slot it is pinned to, else on the best
   * slot; completes once resident.
   */
  @Override
  public CompletableFuture<Void> preload(ModelRef model) {
    List<LocalWorkerPool> on;
    try {
      on = pinned.containsKey(model.name()) ? candidates(model) : candidates(model).subList(0, 1);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.allOf(
        on.stream().map(s -> s.preload(model)).toArray(CompletableFuture[]::new));
  }

  /** The slots' loads together (waiting and running summed; resident bytes summed per device). */
  @Override
  public WorkerLoad load() {
    Map<WorkerLoad.Queue, Integer> waiting = new HashMap<>();
    Map<String, Integer> running = new HashMap<>();
    Map<String, Long> resident = new LinkedHashMap<>();
    for (LocalWorkerPool s : slots) {
      WorkerLoad l = s.load();
      l.waiting().forEach((q, n) -> waiting.merge(q, n, Integer::sum));
      l.running().forEach((m, n) -> running.merge(m, n, Integer::sum));
      l.residentBytes().forEach((d, b) -> resident.merge(d, b, Long::sum));
    }
    return new WorkerLoad(waiting, running, resident);
  }

  /** Every slot stops taking work at once, then each gets what is left of {@code grace}. */
  @Override
  public boolean drain(Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    slots.forEach(s -> s.drain(Duration.ZERO));
    boolean all = true;
    for (LocalWorkerPool s : slots) {
      all &= s.drain(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }
    return all;
  }

  @Override
  public void close() {
    slots.forEach(LocalWorkerPool::close);
  }
}

package dev.llada.platform.infrastructure.metrics;

import dev.llada.platform.application.LiveRequests;
import dev.llada.platform.application.Outcome;
import dev.llada.platform.application.QuotaLedger;
import dev.llada.platform.application.RequestMetrics;
import dev.llada.worker.WorkerLoad;
import dev.llada.worker.WorkerMetrics;
import dev.llada.worker.WorkerPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.metrics.Histogram;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;

/**
 * The serving metrics (issue #16, item 6; docs/OPERATIONS.md has the table) in MicroProfile Metrics
 * 5, which Payara Micro serves as Prometheus text on {@code /metrics} (docs/adr/0011). Histograms
 * are recorded as the worker and the settlement report; gauges read the worker's load and the
 * reservations' leases, which {@link #refresh} takes every few seconds (it also registers a queue
 * gauge for each model and tenant that has been seen).
 */
@ApplicationScoped
public class PlatformMetrics implements RequestMetrics, WorkerMetrics {

  @Inject MetricRegistry registry;
  @Inject WorkerPool pool;
  @Inject LiveRequests requests;
  @Inject QuotaLedger ledger;

  private final Set<WorkerLoad.Queue> queues = ConcurrentHashMap.newKeySet();
  private final Set<String> models = ConcurrentHashMap.newKeySet();
  private final Set<String> devices = ConcurrentHashMap.newKeySet();
  private final Map<String, Histogram[]> perModel = new ConcurrentHashMap<>();
  private volatile WorkerLoad load = new WorkerLoad(Map.of(), Map.of(), Map.of());
  private volatile QuotaLedger.Leases leases = new QuotaLedger.Leases(0, 0);
  private volatile boolean registered;

  @Override
  public void settled(Outcome outcome) {
    registry
        .counter(
            Metadata.builder()
                .withName("llada_requests")
                .withDescription("Inference requests settled, by how they ended")
                .build(),
            new Tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT)))
        .inc();
  }

  @Override
  public void waited(String model, double seconds) {
    histograms(model)[0].update(Math.round(seconds * 1000));
  }

  @Override
  public void stepped(String model, double seconds, long positions) {
    Histogram[] h = histograms(model);
    h[1].update(Math.round(seconds * 1000));
    h[2].update(positions);
  }

  /** Queue wait (ms), step time (ms) and positions per step of one model. */
  private Histogram[] histograms(String model) {
    return perModel.computeIfAbsent(
        model,
        m -> {
          Tag tag = new Tag("model", m);
          return new Histogram[] {
            registry.histogram(
                metadata(
                    "llada_queue",
                    "Time a request waited from its submission until it started",
                    MetricUnits.MILLISECONDS),
                tag),
            registry.histogram(
                metadata(
                    "llada_step",
                    "Wall time of one batched denoising step",
                    MetricUnits.MILLISECONDS),
                tag),
            registry.histogram(
                metadata(
                    "llada_batch_positions",
                    "Query positions one batched step computed",
                    MetricUnits.NONE),
                tag)
          };
        });
  }

  private static Metadata metadata(String name, String description, String unit) {
    return Metadata.builder().withName(name).withDescription(description).withUnit(unit).build();
  }

  /**
   * Takes the worker's load and the leases' counts for the gauges, and registers the gauges of
   * queues, models and devices seen for the first time. Runs every few seconds off the request
   * path; a scrape then reads what it took.
   */
  public void refresh() {
    WorkerLoad now = pool.load();
    load = now;
    if (!registered) {
      registered = true;
      for (String state : new String[] {"held", "overdue"}) {
        registry.gauge(
            Metadata.builder()
                .withName("llada_reservations")
                .withDescription(
                    "Open reservations of the platform: leases held, and leases ended but not yet"
                        + " settled by the sweep")
                .build(),
            this,
            m -> "held".equals(state) ? m.leases.held() : m.leases.overdue(),
            new Tag("state", state));
      }
      registry.gauge(
          Metadata.builder()
              .withName("llada_live_requests")
              .withDescription("Requests admitted and not yet settled on this node")
              .build(),
          this,
          m -> m.requests.all().size());
    }
    for (WorkerLoad.Queue q : now.waiting().keySet()) {
      if (queues.add(q)) {
        registry.gauge(
            Metadata.builder()
                .withName("llada_queue_depth")
                .withDescription("Requests waiting for the worker, by model and tenant (id)")
                .build(),
            this,
            m -> m.load.waiting().getOrDefault(q, 0),
            new Tag("model", q.model()),
            new Tag("tenant", q.tenant()));
      }
    }
    for (var it = queues.iterator(); it.hasNext(); ) { // a queue gone empty: its series goes
      WorkerLoad.Queue q = it.next(); // (one gauge per tenant ever seen would grow unbounded)
      if (!now.waiting().containsKey(q)) {
        registry.remove(
            new org.eclipse.microprofile.metrics.MetricID(
                "llada_queue_depth", new Tag("model", q.model()), new Tag("tenant", q.tenant())));
        it.remove();
      }
    }
    for (String model : now.running().keySet()) {
      if (models.add(model)) {
        registry.gauge(
            Metadata.builder()
                .withName("llada_running_requests")
                .withDescription("Requests in the model's running batch")
                .build(),
            this,
            m -> m.load.running().getOrDefault(model, 0),
            new Tag("model", model));
      }
    }
    for (String device : now.residentBytes().keySet()) {
      if (devices.add(device)) {
        registry.gauge(
            Metadata.builder()
                .withName("llada_resident_model")
                .withDescription(
                    "Memory reserved by the models resident on the device (weights and a full"
                        + " batch's working set)")
                .withUnit(MetricUnits.BYTES)
                .build(),
            this,
            m -> m.load.residentBytes().getOrDefault(device, 0L),
            new Tag("device", device));
      }
    }
    leases = ledger.leases();
  }
}

package dev.llada.platform.application;

import dev.llada.registry.domain.ModelCatalog;
import dev.llada.registry.domain.ServedModel;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Loads the models named in {@code llada.preload} ({@code LLADA_PRELOAD}, comma-separated served
 * names) once the zoo is registered, so that their first requests do not wait for a load (issue #16
 * item 5); on the devices they are pinned to, else on the best slot. The loads run on the workers'
 * loading threads: nothing waits for them. Called by the readiness check (after deployment: the
 * worker's managed thread factory is not there while the application still starts), which also
 * reports bad worker settings rather than the first inference request.
 */
@ApplicationScoped
public class ModelPreloader {

  private static final Logger LOG = Logger.getLogger(ModelPreloader.class.getName());

  @Inject
  @ConfigProperty(name = "llada.preload", defaultValue = " ")
  String preload;

  @Inject ModelCatalog catalog;

  @Inject WorkerPool pool;

  private final java.util.concurrent.atomic.AtomicBoolean started =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Why the worker cannot start (its settings), or null. */
  private volatile String problem;

  /**
   * Creates the worker and starts the configured loads, once (later calls return at once); a name
   * that cannot be loaded is logged, never fatal.
   *
   * @return why the worker cannot start, if it cannot (readiness then stays DOWN)
   */
  public Optional<String> start() {
    if (started.compareAndSet(false, true)) {
      try {
        pool.load(); // the worker exists from now on: its settings are checked here
      } catch (RuntimeException e) { // asked again at the next probe: a bad setting stays bad
        started.set(false);
        problem = e.getMessage();
        LOG.log(Level.SEVERE, "the inference worker cannot start: " + problem, e);
        return Optional.of(problem);
      }
      problem = null;
      for (String name : preload.split(",")) {
        if (!name.isBlank()) {
          preload(name.strip());
        }
      }
    }
    return Optional.ofNullable(problem);
  }

  private void preload(String id) {
    try {
      Optional<ServedModel> model = catalog.findModel(id);
      Optional<Path> dir = model.flatMap(ServedModel::localDirectory);
      if (dir.isEmpty() || model.get().digest() == null) {
        LOG.warning(
            "LLADA_PRELOAD names '" + id + "', which has no registered version on this node");
        return;
      }
      long start = System.nanoTime();
      pool.preload(new ModelRef(id, dir.get(), model.get().digest()))
          .whenComplete(
              (done, failure) -> {
                if (failure != null) {
                  LOG.warning("could not preload '" + id + "': " + failure.getMessage());
                } else {
                  LOG.info(
                      () ->
                          "preloaded '"
                              + id
                              + "' in "
                              + (System.nanoTime() - start) / 1_000_000
                              + " ms");
                }
              });
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "could not preload '" + id + "': " + e.getMessage(), e);
    }
  }
}

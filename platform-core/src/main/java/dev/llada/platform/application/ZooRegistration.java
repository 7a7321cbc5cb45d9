package dev.llada.platform.application;

import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.ModelDirectory;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.domain.AliasRules;
import dev.llada.registry.domain.VariantCode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Registers the bundled model zoo on first start: every model directory under {@code
 * llada.models.dir} (env {@code LLADA_MODELS_DIR}; {@code bin/platform} points it at the checkout's
 * {@code models/}) becomes a version of its name, identified by its content digest, with a global
 * alias of the same name pointing at it. A directory named {@code *-base} is a BASE checkpoint,
 * {@code *-instruct} an INSTRUCT one; others are skipped with a warning. Registration goes through
 * {@link ModelAdmin#register}, as the admin API's does: one numbering rule under one lock, the
 * model card and layout recorded, each directory's version and alias in one transaction.
 * Idempotent: a digest already registered under that name is not registered again.
 */
@ApplicationScoped
public class ZooRegistration {

  private static final Logger LOG = Logger.getLogger(ZooRegistration.class.getName());

  @Inject
  @ConfigProperty(name = "llada.models.dir")
  Optional<String> modelsDirectory;

  /** The registry's one writer: the same numbering rule and lock as the admin API's. */
  @Inject ModelAdmin admin;

  /** One transaction per directory: its version and its alias together, or neither. */
  @jakarta.annotation.Resource jakarta.transaction.UserTransaction transaction;

  private volatile boolean done;
  private volatile int registered;

  /** Registers the zoo once; later calls return at once. False if the database failed. */
  public synchronized boolean ensureRegistered() {
    if (done) {
      return true;
    }
    if (modelsDirectory.isEmpty() || modelsDirectory.get().isBlank()) {
      done = true;
      return true;
    }
    Path root = Path.of(modelsDirectory.get());
    if (!Files.isDirectory(root)) {
      LOG.warning("llada.models.dir " + root + " is not a directory; no models registered");
      done = true;
      return true;
    }
    List<Path> candidates;
    try (Stream<Path> list = Files.list(root)) {
      candidates =
          list.filter(p -> Files.isRegularFile(p.resolve("config.json"))).sorted().toList();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot list " + root, e);
      done = true;
      return true;
    }
    int count = 0;
    for (Path dir : candidates) {
      String name = dir.getFileName().toString();
      Optional<VariantCode> variant = variantOf(name);
      if (variant.isEmpty()) {
        LOG.warning("skipping " + dir + ": its name ends in neither -base nor -instruct");
        continue;
      }
      try {
        ModelDirectory.describe(dir); // refused directories are skipped before any transaction
      } catch (ModelFormatException e) {
        LOG.warning("skipping " + dir + ": " + e.getMessage());
        continue;
      }
      try {
        transaction.begin();
        try {
          register(name, variant.get(), dir);
          transaction.commit();
        } catch (RuntimeException e) {
          transaction.rollback();
          throw e;
        }
        count++;
      } catch (InvalidRequestException e) {
        LOG.warning("skipping " + dir + ": " + e.getMessage());
      } catch (RuntimeException
          | jakarta.transaction.NotSupportedException
          | jakarta.transaction.SystemException
          | jakarta.transaction.RollbackException
          | jakarta.transaction.HeuristicMixedException
          | jakarta.transaction.HeuristicRollbackException e) {
        LOG.log(Level.WARNING, "registering " + dir + " failed; will retry", e);
        return false;
      }
    }
    registered = count;
    done = true;
    LOG.info(() -> "model zoo: " + registered + " model(s) registered from " + root);
    return true;
  }

  /**
   * Registers one zoo directory and points its global alias at the version of its files, in the
   * caller's transaction. Every zoo version of a name shares the directory, so only the version
   * whose digest the files have can serve: the alias follows the files when it points at another
   * version of this name (new files, or files reverted to an older digest); an alias an
   * administrator pointed at another name's version is left alone.
   */
  private void register(String name, VariantCode variant, Path dir) {
    ModelRegistry.Registered r =
        admin.register(name, variant, dir.toAbsolutePath().normalize(), null, null, null, null);
    String files = name + ":" + r.version().version();
    if (AliasRules.zooAliasFollows(aliasTarget(name), files)) {
      admin.promote(name, null, files);
    }
  }

  /** Where the global alias points now, if it exists. */
  private Optional<String> aliasTarget(String alias) {
    return admin.findAlias(alias, null).map(ModelAdmin.AliasView::version);
  }

  /** Models registered by the last successful run. */
  public int registered() {
    return registered;
  }

  static Optional<VariantCode> variantOf(String name) {
    if (name.endsWith("-instruct")) {
      return Optional.of(VariantCode.INSTRUCT);
    }
    if (name.endsWith("-base")) {
      return Optional.of(VariantCode.BASE);
    }
    return Optional.empty();
  }
}

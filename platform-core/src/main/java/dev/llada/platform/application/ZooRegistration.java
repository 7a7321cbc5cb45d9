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
 * {@code *-instruct} an INSTRUCT one, {@code *-1.5} a V1_5 one (VRPO-aligned), {@code *-moe} an MOE
 * one (an LLaDA-MoE checkpoint: its config.json must say so), {@code *-v} a VISION one (a LLaDA-V
 * checkpoint, model_type llava_llada); others are skipped with a warning. A directory with a {@code
 * vrpo.json} (written by the VRPO trainer) records its lineage: the base version (the registered
 * version of {@code base_name} whose digest is {@code base_digest}), the training job and the
 * dataset digest; such directories are registered after the others, so their base is already there.
 * Registration goes through {@link ModelAdmin#register}, as the admin API's does: one numbering
 * rule under one lock, the model card and layout recorded, each directory's version and alias in
 * one transaction. Idempotent: a digest already registered under that name is not registered again.
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
          list.filter(p -> Files.isRegularFile(p.resolve("config.json")))
              .sorted(
                  java.util.Comparator.comparing((Path p) -> Files.exists(p.resolve(LINEAGE)))
                      .thenComparing(Path::toString))
              .toList();
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
        LOG.warning(
            "skipping " + dir + ": its name ends in none of -base, -instruct, -1.5, -moe, -v");
        continue;
      }
      try {
        ModelDirectory.describe(dir); // refused directories are skipped before any transaction
        dev.llada.core.config.ModelFamily family =
            dev.llada.core.config.LladaConfig.read(dir).family();
        boolean moe = family == dev.llada.core.config.ModelFamily.LLADA_MOE;
        if (moe != (variant.get() == VariantCode.MOE)) {
          LOG.warning(
              "skipping "
                  + dir
                  + ": a directory named *-moe must hold an LLaDA-MoE checkpoint, and only such"
                  + " a directory may");
          continue;
        }
        boolean vision = family == dev.llada.core.config.ModelFamily.LLAVA_LLADA;
        if (vision != (variant.get() == VariantCode.VISION)) {
          LOG.warning(
              "skipping "
                  + dir
                  + ": a directory named *-v must hold a LLaDA-V checkpoint (model_type"
                  + " llava_llada), and only such a directory may");
          continue;
        }
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
    Lineage lineage = lineage(dir);
    ModelRegistry.Registered r =
        admin.register(
            name,
            variant,
            dir.toAbsolutePath().normalize(),
            lineage.baseVersion(),
            lineage.trainingJob(),
            lineage.dataset(),
            null);
    String files = name + ":" + r.version().version();
    if (AliasRules.zooAliasFollows(aliasTarget(name), files)) {
      admin.promote(name, null, files);
    }
  }

  /** The lineage file of a trained zoo directory. */
  static final String LINEAGE = "vrpo.json";

  /** Where a zoo model comes from; nulls when its directory does not say. */
  record Lineage(String baseVersion, String trainingJob, String dataset) {}

  /**
   * Reads {@code vrpo.json}: the base is named by its digest, resolved here to the registered
   * version of that name with that digest (null if none is registered).
   */
  Lineage lineage(Path dir) {
    Path file = dir.resolve(LINEAGE);
    if (!Files.isRegularFile(file)) {
      return new Lineage(null, null, null);
    }
    com.google.gson.JsonObject j;
    try {
      j = com.google.gson.JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      LOG.warning("ignoring the unreadable lineage " + file + ": " + e.getMessage());
      return new Lineage(null, null, null);
    }
    String baseName = text(j, "base_name");
    String baseDigest = text(j, "base_digest");
    String base = null;
    if (baseName != null && baseDigest != null) {
      try {
        base =
            admin.versions(baseName).stream()
                .filter(v -> v.digest().equals(baseDigest))
                .map(v -> v.name() + ":" + v.version())
                .findFirst()
                .orElse(null);
      } catch (RuntimeException unknownName) {
        base = null;
      }
      if (base == null) {
        LOG.warning(dir + " names base " + baseName + " " + baseDigest + ", not registered");
      }
    }
    String recipe = text(j, "recipe");
    return new Lineage(base, recipe == null ? null : "vrpo " + recipe, text(j, "data_digest"));
  }

  private static String text(com.google.gson.JsonObject j, String key) {
    return j.has(key) && j.get(key).isJsonPrimitive() ? j.get(key).getAsString() : null;
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
    if (name.endsWith("-moe")) {
      return Optional.of(VariantCode.MOE);
    }
    if (name.endsWith("-1.5")) {
      return Optional.of(VariantCode.V1_5);
    }
    if (name.endsWith("-instruct")) {
      return Optional.of(VariantCode.INSTRUCT);
    }
    if (name.endsWith("-base")) {
      return Optional.of(VariantCode.BASE);
    }
    if (name.endsWith("-v")) {
      return Optional.of(VariantCode.VISION);
    }
    return Optional.empty();
  }
}

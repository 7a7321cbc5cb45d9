package dev.llada.platform.application;

import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.ModelDirectory;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.application.ModelRegistry.AliasMove;
import dev.llada.registry.application.ModelRegistry.Lineage;
import dev.llada.registry.application.ModelRegistry.Registered;
import dev.llada.registry.application.ModelRegistry.VersionView;
import dev.llada.registry.domain.NewVersion;
import dev.llada.registry.domain.RegistryNames;
import dev.llada.registry.domain.VariantCode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link ModelAdmin} over the registry and tenancy, in one transaction: a model directory is read
 * here (llada-core's {@link ModelDirectory}: digest, size, dtype, layout, tokenizer; its card),
 * tenants are resolved by slug here, and a tenant alias is only created or moved while the tenant
 * row is locked and not deleted (docs/adr/0007), so none slips in after a deletion.
 */
@ApplicationScoped
@Transactional
public class RegistryAdministration implements ModelAdmin {

  @Inject ModelRegistry registry;
  @Inject Tenancy tenancy;

  @Override
  public Registered register(
      String name,
      VariantCode variant,
      Path directory,
      String baseVersion,
      String trainingJob,
      String dataset,
      Map<String, String> tags) {
    RegistryNames.checkName(name);
    RegistryNames.checkLineage(baseVersion, trainingJob, dataset);
    RegistryNames.checkTags(tags);
    if (directory == null || !directory.isAbsolute()) {
      throw new InvalidRequestException(
          "path", "path must be an absolute directory on the platform");
    }
    ModelDirectory model;
    try {
      model = ModelDirectory.describe(directory);
    } catch (ModelFormatException e) {
      throw new InvalidRequestException(
          "invalid_model_directory", "path", "Not a usable model directory: " + e.getMessage());
    }
    if (!model.hasTokenizer()) {
      throw new InvalidRequestException(
          "invalid_model_directory",
          "path",
          "Not a usable model directory: tokenizer.json is missing");
    }
    return registry.register(
        new NewVersion(
            name,
            variant,
            model.digest(),
            directory.normalize().toUri().toString(),
            model.parameterCount(),
            model.dtype().equals("MIXED") ? "F32" : model.dtype(),
            model.layout(),
            model.hasTokenizer(),
            RegistryNames.card(modelCard(directory)),
            baseVersion,
            trainingJob,
            dataset,
            tags));
  }

  /** MODEL_CARD.md, else README.md, if the directory has one that can be read. */
  private static String modelCard(Path directory) {
    for (String file : List.of("MODEL_CARD.md", "README.md")) {
      Path p = directory.resolve(file);
      if (Files.isRegularFile(p)) {
        try {
          return Files.readString(p);
        } catch (IOException e) {
          return null;
        }
      }
    }
    return null;
  }

  @Override
  public List<VersionView> versions(String name) {
    return registry.versions(name);
  }

  @Override
  public VersionView version(String name, int version) {
    return registry.version(name, version);
  }

  @Override
  public VersionView tag(String name, int version, Map<String, String> tags) {
    return registry.tag(name, version, tags);
  }

  @Override
  public Lineage lineage(String name, int version) {
    return registry.lineage(name, version);
  }

  /** The tenant's id (404 when unknown), null for the global namespace. */
  private UUID tenantId(String slug) {
    return slug == null ? null : tenancy.tenant(slug).id();
  }

  private static AliasView bySlug(ModelRegistry.AliasView a, String slug) {
    return new AliasView(a.alias(), slug, a.version(), a.updatedAt());
  }

  @Override
  public AliasView promote(String alias, String tenant, String version) {
    RegistryNames.checkAlias(alias);
    RegistryNames.parseRef(version, "version");
    UUID t = tenant == null ? null : tenancy.lockLive(tenant).id();
    return bySlug(registry.promote(alias, t, version), tenant);
  }

  @Override
  public AliasView rollback(String alias, String tenant) {
    UUID t = tenant == null ? null : tenancy.lockLive(tenant).id(); // a move, as promote is
    return bySlug(registry.rollback(alias, t), tenant);
  }

  @Override
  public List<AliasMove> history(String alias, String tenant) {
    return registry.history(alias, tenantId(tenant));
  }

  @Override
  public Optional<AliasView> findAlias(String alias, String tenant) {
    return registry.findAlias(alias, tenantId(tenant)).map(a -> bySlug(a, tenant));
  }

  @Override
  public List<AliasView> tenantAliases(String tenant) {
    return registry.tenantAliases(tenantId(tenant)).stream().map(a -> bySlug(a, tenant)).toList();
  }

  @Override
  public int deleteTenantAliases(UUID tenantId) {
    return registry.deleteTenantAliases(tenantId);
  }
}

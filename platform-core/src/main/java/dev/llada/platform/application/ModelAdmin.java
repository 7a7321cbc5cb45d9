package dev.llada.platform.application;

import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.application.ModelRegistry.AliasMove;
import dev.llada.registry.application.ModelRegistry.Lineage;
import dev.llada.registry.application.ModelRegistry.Registered;
import dev.llada.registry.application.ModelRegistry.VersionView;
import dev.llada.registry.domain.VariantCode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The registry's administration as the admin API, the console and zoo registration use it: register
 * versions from model directories on the platform, tag them, trace their lineage, and move aliases
 * (global or per tenant, by slug) with promote and rollback. The registry ({@link ModelRegistry})
 * stores; this reads directories and speaks for tenants.
 */
public interface ModelAdmin {

  /** An alias and the version behind it; tenant is a slug, null for a global alias. */
  record AliasView(String alias, String tenant, String version, Instant updatedAt) {}

  Registered register(
      String name,
      VariantCode variant,
      Path directory,
      String baseVersion,
      String trainingJob,
      String dataset,
      Map<String, String> tags);

  List<VersionView> versions(String name);

  VersionView version(String name, int version);

  /** Sets the given tags (a null value removes one). */
  VersionView tag(String name, int version, Map<String, String> tags);

  Lineage lineage(String name, int version);

  /** Creates the alias or moves it to {@code version} ({@code name:N}); tenant null = global. */
  AliasView promote(String alias, String tenant, String version);

  /** Moves the alias back to where it pointed before its last move; 409 if it never moved. */
  AliasView rollback(String alias, String tenant);

  List<AliasMove> history(String alias, String tenant);

  /**
   * The alias and where it points, if it exists (empty, never a 404: safe inside a transaction).
   */
  Optional<AliasView> findAlias(String alias, String tenant);

  /** The aliases of one tenant (its own, not the global ones). */
  List<AliasView> tenantAliases(String tenant);

  /** Deletes every alias of one tenant, with their history (its deletion); returns how many. */
  int deleteTenantAliases(UUID tenantId);
}

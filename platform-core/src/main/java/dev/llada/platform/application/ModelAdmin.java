package dev.llada.platform.application;

import dev.llada.registry.domain.VariantCode;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Port: the registry's administration: register versions from model directories, tag them, trace
 * their lineage, and move aliases (global or per tenant) with promote and rollback.
 */
public interface ModelAdmin {

  /** A registered version as the administration API shows it. */
  record VersionView(
      UUID id,
      String name,
      int version,
      String variant,
      String digest,
      String artifactUri,
      long parameterCount,
      String dtype,
      String layout,
      boolean hasTokenizer,
      String baseVersion,
      String trainingJob,
      String dataset,
      Map<String, String> tags,
      String modelCard,
      Instant createdAt) {}

  /** The result of a registration: the version, and whether it was new. */
  record Registered(VersionView version, boolean created) {}

  /** Where a version comes from and what was made from it. */
  record Lineage(VersionView version, List<VersionView> ancestors, List<VersionView> descendants) {}

  /** An alias and the version behind it. */
  record AliasView(String alias, String tenant, String version, Instant updatedAt) {}

  /** One move of an alias. */
  record AliasMove(String version, String action, Instant at) {}

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
  java.util.Optional<AliasView> findAlias(String alias, String tenant);

  /** The aliases of one tenant (its own, not the global ones). */
  List<AliasView> tenantAliases(UUID tenantId);

  /** Deletes every alias of one tenant, with their history (its deletion); returns how many. */
  int deleteTenantAliases(UUID tenantId);
}

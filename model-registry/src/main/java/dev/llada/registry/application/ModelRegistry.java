package dev.llada.registry.application;

import dev.llada.registry.domain.NewVersion;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The registry's use cases, the one writer of versions, tags, aliases and their history: zoo
 * registration and the admin API both register through {@link #register}, numbered under one lock
 * per name with the database's clock. Tenants are referred to by id (null: global); tenancy, which
 * knows slugs and whether a tenant may still change, is the caller's.
 */
public interface ModelRegistry {

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

  /** An alias and the version ({@code name:N}) behind it; tenant null for a global one. */
  record AliasView(String alias, UUID tenantId, String version, Instant updatedAt) {}

  /** One move of an alias. */
  record AliasMove(String version, String action, Instant at) {}

  /**
   * Registers the checkpoint as the next version of its name, or returns the version that has its
   * digest already (nothing new then).
   */
  Registered register(NewVersion version);

  /** Every version of a name, oldest first; 404 when there is none. */
  List<VersionView> versions(String name);

  /** 404 when there is no such version. */
  VersionView version(String name, int version);

  /** Sets the given tags (a null value removes one). */
  VersionView tag(String name, int version, Map<String, String> tags);

  Lineage lineage(String name, int version);

  /** Creates the alias or moves it to {@code version} ({@code name:N}). */
  AliasView promote(String alias, UUID tenantId, String version);

  /** Moves the alias back to where it pointed before its last move; 409 if it never moved. */
  AliasView rollback(String alias, UUID tenantId);

  /** The moves of an alias, oldest first; 404 when there is no such alias. */
  List<AliasMove> history(String alias, UUID tenantId);

  /** The alias, if it exists (empty, never a 404: safe inside a transaction). */
  Optional<AliasView> findAlias(String alias, UUID tenantId);

  /** The aliases of one tenant (its own, not the global ones), by name. */
  List<AliasView> tenantAliases(UUID tenantId);

  /** Deletes every alias of one tenant, with their history; returns how many. */
  int deleteTenantAliases(UUID tenantId);
}

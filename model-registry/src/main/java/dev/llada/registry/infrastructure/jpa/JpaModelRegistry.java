package dev.llada.registry.infrastructure.jpa;

import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.registry.application.ModelRegistry;
import dev.llada.registry.domain.AliasChange;
import dev.llada.registry.domain.AliasRules;
import dev.llada.registry.domain.ModelAlias;
import dev.llada.registry.domain.ModelVariant;
import dev.llada.registry.domain.ModelVersion;
import dev.llada.registry.domain.NewVersion;
import dev.llada.registry.domain.RegistryNames;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link ModelRegistry} on the registry's entities: the one writer of {@code model_version}, {@code
 * model_version_tag}, {@code model_alias} and {@code model_alias_history} (TableOwnershipTest).
 * Native SQL only for the per-name advisory lock that numbering takes; timestamps come from the
 * database's clock ({@code DEFAULT now()}, HQL's {@code instant}).
 */
@ApplicationScoped
@Transactional
public class JpaModelRegistry implements ModelRegistry {

  @PersistenceContext(unitName = "platform")
  EntityManager em;

  @Override
  public Registered register(NewVersion v) {
    RegistryNames.checkName(v.name());
    RegistryNames.checkLineage(v.baseVersion(), v.trainingJob(), v.dataset());
    RegistryNames.checkTags(v.tags());
    // one numbering rule: versions of a name are numbered under a transaction-long lock on it
    em.createNativeQuery("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(?1))) AS locked")
        .setParameter(1, "model:" + v.name())
        .getSingleResult();
    Optional<ModelVersion> same =
        em
            .createQuery(
                "SELECT v FROM ModelVersion v WHERE v.name = :name AND v.digest = :digest",
                ModelVersion.class)
            .setParameter("name", v.name())
            .setParameter("digest", v.digest())
            .setMaxResults(1)
            .getResultList()
            .stream()
            .findFirst();
    if (same.isPresent()) {
      return new Registered(view(same.get()), false);
    }
    ModelVersion base =
        v.baseVersion() == null
            ? null
            : find(RegistryNames.parseRef(v.baseVersion(), "base_version"))
                .orElseThrow(
                    () ->
                        new InvalidRequestException(
                            "base_version", "no registered version '" + v.baseVersion() + "'"));
    int next =
        em.createQuery(
                "SELECT COALESCE(MAX(v.version), 0) + 1 FROM ModelVersion v WHERE v.name = :name",
                Integer.class)
            .setParameter("name", v.name())
            .getSingleResult();
    ModelVersion created =
        new ModelVersion(
            UUID.randomUUID(), em.getReference(ModelVariant.class, v.variant()), next, v, base);
    if (v.tags() != null) {
      created.retag(v.tags());
    }
    em.persist(created);
    em.flush();
    return new Registered(view(created), true);
  }

  private Optional<ModelVersion> find(RegistryNames.Ref ref) {
    return em
        .createQuery(
            "SELECT v FROM ModelVersion v WHERE v.name = :name AND v.version = :version",
            ModelVersion.class)
        .setParameter("name", ref.name())
        .setParameter("version", ref.version())
        .setMaxResults(1)
        .getResultList()
        .stream()
        .findFirst();
  }

  private ModelVersion load(String name, int version) {
    return find(new RegistryNames.Ref(name, version))
        .orElseThrow(
            () ->
                new NotFoundException(
                    "version_not_found", "version", "No version " + name + ":" + version + "."));
  }

  private static VersionView view(ModelVersion v) {
    ModelVersion base = v.baseVersion();
    return new VersionView(
        v.id(),
        v.name(),
        v.version(),
        v.variant().code().name(),
        v.digest(),
        v.artifactUri(),
        v.parameterCount(),
        v.dtype(),
        v.layout(),
        v.hasTokenizer(),
        base == null ? null : base.ref(),
        v.trainingJob(),
        v.dataset(),
        v.tags(),
        v.modelCard(),
        v.createdAt());
  }

  @Override
  public List<VersionView> versions(String name) {
    List<VersionView> out =
        em.createQuery(
                "SELECT v FROM ModelVersion v WHERE v.name = :name ORDER BY v.version",
                ModelVersion.class)
            .setParameter("name", name)
            .getResultStream()
            .map(JpaModelRegistry::view)
            .toList();
    if (out.isEmpty()) {
      throw new NotFoundException("model_not_found", "model", "No versions of '" + name + "'.");
    }
    return out;
  }

  @Override
  public VersionView version(String name, int version) {
    return view(load(name, version));
  }

  @Override
  public VersionView tag(String name, int version, Map<String, String> tags) {
    RegistryNames.checkTags(tags);
    ModelVersion v = load(name, version);
    // concurrent tag changes of one version take turns (a row lock: the update trigger stays quiet)
    em.lock(v, LockModeType.PESSIMISTIC_WRITE);
    em.refresh(v);
    v.retag(tags);
    em.flush();
    return view(v);
  }

  /** Lineage is walked, at most {@value #MAX_DEPTH} generations either way. */
  private static final int MAX_DEPTH = 100;

  @Override
  public Lineage lineage(String name, int version) {
    ModelVersion v = load(name, version);
    List<VersionView> ancestors = new ArrayList<>();
    for (ModelVersion a = v.baseVersion();
        a != null && ancestors.size() < MAX_DEPTH;
        a = a.baseVersion()) {
      ancestors.add(view(a));
    }
    List<VersionView> descendants = new ArrayList<>();
    List<ModelVersion> generation = List.of(v);
    for (int depth = 0; depth < MAX_DEPTH && !generation.isEmpty(); depth++) {
      generation =
          em.createQuery(
                  "SELECT v FROM ModelVersion v WHERE v.baseVersion IN :parents"
                      + " ORDER BY v.name, v.version",
                  ModelVersion.class)
              .setParameter("parents", generation)
              .getResultList();
      generation.stream().map(JpaModelRegistry::view).forEach(descendants::add);
    }
    return new Lineage(view(v), ancestors, descendants);
  }

  /** The alias, locked for the rest of the transaction when {@code lock}. */
  private Optional<ModelAlias> alias(String alias, UUID tenantId, boolean lock) {
    var query =
        em.createQuery(
                tenantId == null
                    ? "SELECT a FROM ModelAlias a WHERE a.tenantId IS NULL AND a.alias = :alias"
                    : "SELECT a FROM ModelAlias a WHERE a.tenantId = :tenant AND a.alias = :alias",
                ModelAlias.class)
            .setParameter("alias", alias);
    if (tenantId != null) {
      query.setParameter("tenant", tenantId);
    }
    if (lock) {
      query.setLockMode(LockModeType.PESSIMISTIC_WRITE);
    }
    return query.setMaxResults(1).getResultList().stream().findFirst();
  }

  private static NotFoundException aliasNotFound(String alias) {
    return new NotFoundException("alias_not_found", "alias", "No alias '" + alias + "'.");
  }

  private static AliasView view(ModelAlias a) {
    return new AliasView(a.alias(), a.tenantId(), a.version().ref(), a.updatedAt());
  }

  @Override
  public AliasView promote(String alias, UUID tenantId, String version) {
    RegistryNames.checkAlias(alias);
    RegistryNames.Ref ref = RegistryNames.parseRef(version, "version");
    ModelVersion target =
        find(ref)
            .orElseThrow(
                () ->
                    new InvalidRequestException(
                        "version", "no registered version '" + version + "'"));
    Optional<ModelAlias> existing = alias(alias, tenantId, true);
    Optional<AliasChange.Action> move =
        AliasRules.promotion(existing.map(a -> a.version().id()), target.id());
    if (move.isEmpty()) {
      return view(existing.get());
    }
    ModelAlias moved;
    if (existing.isPresent()) {
      moved = moveTo(existing.get(), target);
    } else {
      moved = new ModelAlias(UUID.randomUUID(), tenantId, alias, target);
      em.persist(moved);
    }
    em.persist(new AliasChange(moved, target, move.get()));
    em.flush();
    return view(moved);
  }

  /** Points the alias at {@code target}, stamped with the database's clock. */
  private ModelAlias moveTo(ModelAlias alias, ModelVersion target) {
    em.createQuery(
            "UPDATE ModelAlias a SET a.version = :target, a.updatedAt = instant"
                + " WHERE a.id = :id")
        .setParameter("target", target)
        .setParameter("id", alias.id())
        .executeUpdate();
    em.refresh(alias);
    return alias;
  }

  @Override
  public AliasView rollback(String alias, UUID tenantId) {
    ModelAlias a = alias(alias, tenantId, true).orElseThrow(() -> aliasNotFound(alias));
    List<UUID> recent =
        em.createQuery(
                "SELECT h.version.id FROM AliasChange h WHERE h.alias = :alias ORDER BY h.id DESC",
                UUID.class)
            .setParameter("alias", a)
            .setMaxResults(2)
            .getResultList();
    ModelVersion target = em.find(ModelVersion.class, AliasRules.rollbackTarget(alias, recent));
    moveTo(a, target);
    em.persist(new AliasChange(a, target, AliasChange.Action.ROLLBACK));
    em.flush();
    return view(a);
  }

  @Override
  public List<AliasMove> history(String alias, UUID tenantId) {
    ModelAlias a = alias(alias, tenantId, false).orElseThrow(() -> aliasNotFound(alias));
    return em.createQuery(
            "SELECT h FROM AliasChange h JOIN FETCH h.version WHERE h.alias = :alias ORDER BY h.id",
            AliasChange.class)
        .setParameter("alias", a)
        .getResultStream()
        .map(h -> new AliasMove(h.version().ref(), h.action().name(), h.changedAt()))
        .toList();
  }

  @Override
  public Optional<AliasView> findAlias(String alias, UUID tenantId) {
    return alias(alias, tenantId, false).map(JpaModelRegistry::view);
  }

  @Override
  public List<AliasView> tenantAliases(UUID tenantId) {
    return em.createQuery(
            "SELECT a FROM ModelAlias a JOIN FETCH a.version WHERE a.tenantId = :tenant"
                + " ORDER BY a.alias",
            ModelAlias.class)
        .setParameter("tenant", tenantId)
        .getResultStream()
        .map(JpaModelRegistry::view)
        .toList();
  }

  @Override
  public int deleteTenantAliases(UUID tenantId) {
    // model_alias_history goes with them (ON DELETE CASCADE, V3)
    return em.createQuery("DELETE FROM ModelAlias a WHERE a.tenantId = :tenant")
        .setParameter("tenant", tenantId)
        .executeUpdate();
  }
}

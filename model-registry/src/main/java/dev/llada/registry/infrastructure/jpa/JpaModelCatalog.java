package dev.llada.registry.infrastructure.jpa;

import dev.llada.registry.domain.ModelAlias;
import dev.llada.registry.domain.ModelCatalog;
import dev.llada.registry.domain.ModelVariant;
import dev.llada.registry.domain.ServedModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link ModelCatalog} read from the registry tables through JPA. */
@ApplicationScoped
@Transactional(Transactional.TxType.SUPPORTS)
public class JpaModelCatalog implements ModelCatalog {

  @PersistenceContext(unitName = "platform")
  EntityManager em;

  @Override
  public List<ServedModel> listModels() {
    List<ServedModel> models = new ArrayList<>();
    em.createQuery(
            "SELECT v FROM ModelVariant v ORDER BY v.createdAt, v.modelId", ModelVariant.class)
        .getResultStream()
        .map(JpaModelCatalog::served)
        .forEach(models::add);
    em.createQuery(
            "SELECT a FROM ModelAlias a JOIN FETCH a.version ver JOIN FETCH ver.variant"
                + " WHERE a.tenantId IS NULL ORDER BY a.alias",
            ModelAlias.class)
        .getResultStream()
        .map(a -> served(a, null))
        .forEach(models::add);
    return models;
  }

  @Override
  public Optional<ServedModel> findModel(UUID tenantId, String tenantSlug, String id) {
    Optional<ServedModel> own =
        em
            .createQuery(
                "SELECT a FROM ModelAlias a JOIN FETCH a.version ver"
                    + " JOIN FETCH ver.variant WHERE a.tenantId = :t AND a.alias = :id",
                ModelAlias.class)
            .setParameter("t", tenantId)
            .setParameter("id", id)
            .setMaxResults(1)
            .getResultList()
            .stream()
            .findFirst()
            .map(a -> served(a, tenantSlug));
    return own.isPresent() ? own : findModel(id);
  }

  @Override
  public List<ServedModel> listModels(UUID tenantId, String tenantSlug) {
    List<ServedModel> models = new ArrayList<>(listModels());
    em.createQuery(
            "SELECT a FROM ModelAlias a JOIN FETCH a.version ver"
                + " JOIN FETCH ver.variant WHERE a.tenantId = :t ORDER BY a.alias",
            ModelAlias.class)
        .setParameter("t", tenantId)
        .getResultStream()
        .map(a -> served(a, tenantSlug))
        .forEach(models::add);
    return models;
  }

  @Override
  public Optional<ServedModel> findModel(String id) {
    Optional<ServedModel> variant =
        em
            .createQuery("SELECT v FROM ModelVariant v WHERE v.modelId = :id", ModelVariant.class)
            .setParameter("id", id)
            .setMaxResults(1)
            .getResultList()
            .stream()
            .findFirst()
            .map(JpaModelCatalog::served);
    if (variant.isPresent()) {
      return variant;
    }
    return em
        .createQuery(
            "SELECT a FROM ModelAlias a JOIN FETCH a.version ver JOIN FETCH ver.variant"
                + " WHERE a.tenantId IS NULL AND a.alias = :id",
            ModelAlias.class)
        .setParameter("id", id)
        .setMaxResults(1)
        .getResultList()
        .stream()
        .findFirst()
        .map(a -> served(a, null));
  }

  private static ServedModel served(ModelVariant v) {
    return new ServedModel(v.modelId(), v.code(), v.ownedBy(), v.createdAt(), null, null, null);
  }

  /** A served alias; {@code owner} is the tenant's slug, null for a global alias. */
  private static ServedModel served(ModelAlias a, String owner) {
    var version = a.version();
    return new ServedModel(
        a.alias(),
        version.variant().code(),
        // a registered version is the platform's (or, behind a tenant alias, the tenant's),
        // not the upstream publisher's
        owner == null ? "system" : owner,
        a.createdAt(),
        version.ref(),
        version.artifactUri(),
        version.digest());
  }
}

package dev.llada.registry.infrastructure.jpa;

import dev.llada.registry.domain.ModelAlias;
import dev.llada.registry.domain.ModelRegistry;
import dev.llada.registry.domain.ModelVariant;
import dev.llada.registry.domain.ModelVersion;
import dev.llada.registry.domain.NewModelVersion;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import java.util.Optional;

/** {@link ModelRegistry} on the registry tables. */
@ApplicationScoped
@Transactional
public class JpaModelRegistry implements ModelRegistry {

  @PersistenceContext(unitName = "platform")
  EntityManager em;

  @Override
  public ModelVersion registerIfNew(NewModelVersion model) {
    Optional<ModelVersion> same =
        em.createQuery(
                "SELECT v FROM ModelVersion v WHERE v.name = :name AND v.digest = :digest",
                ModelVersion.class)
            .setParameter("name", model.name())
            .setParameter("digest", model.digest())
            .getResultStream()
            .findFirst();
    if (same.isPresent()) {
      return same.get();
    }
    Integer latest =
        em.createQuery(
                "SELECT MAX(v.version) FROM ModelVersion v WHERE v.name = :name", Integer.class)
            .setParameter("name", model.name())
            .getSingleResult();
    ModelVariant variant = em.find(ModelVariant.class, model.variant());
    ModelVersion version =
        new ModelVersion(
            variant,
            model.name(),
            latest == null ? 1 : latest + 1,
            model.digest(),
            model.artifactUri(),
            model.parameterCount(),
            model.dtype());
    em.persist(version);
    return version;
  }

  @Override
  public void pointAlias(String alias, ModelVersion version) {
    Optional<ModelAlias> existing =
        em.createQuery(
                "SELECT a FROM ModelAlias a WHERE a.tenant IS NULL AND a.alias = :alias",
                ModelAlias.class)
            .setParameter("alias", alias)
            .getResultStream()
            .findFirst();
    ModelVersion managed = em.merge(version);
    ModelAlias target;
    String action;
    if (existing.isPresent()) {
      target = existing.get();
      if (target.version().id().equals(managed.id())) {
        return; // already there: no move, no history
      }
      target.moveTo(managed);
      action = "PROMOTE";
    } else {
      target = new ModelAlias(alias, managed);
      em.persist(target);
      action = "CREATE";
    }
    em.flush();
    em.createNativeQuery(
            "INSERT INTO model_alias_history (alias_id, version_id, action) VALUES (?1, ?2, ?3)")
        .setParameter(1, target.id())
        .setParameter(2, managed.id())
        .setParameter(3, action)
        .executeUpdate();
  }
}

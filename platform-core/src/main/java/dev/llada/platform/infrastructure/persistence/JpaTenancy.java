package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.KeyView;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.application.TenantView;
import dev.llada.platform.application.UserView;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.KeyPolicy;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.platform.domain.PermissionDeniedException;
import dev.llada.platform.domain.Scope;
import dev.llada.platform.domain.TenantPolicy;
import dev.llada.platform.domain.TenantStatus;
import dev.llada.registry.domain.VariantCode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import jakarta.persistence.PersistenceContext;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@link Tenancy} on the tenancy entities ({@link TenantRecord}, {@link ApiKeyRecord}, {@link
 * TenantUserRecord}): the one writer of {@code tenant}, {@code tenant_entitlement}, {@code api_key}
 * and {@code tenant_user}, in the caller's JTA transaction. Rules are the domain's ({@link
 * TenantPolicy}, {@link KeyPolicy}, {@link TenantStatus}); this loads and stores. Every change to a
 * tenant takes its row lock first, so none slips in after a deletion (docs/adr/0007).
 *
 * <p>Longer than ~300 lines on purpose: the port's seventeen operations over four tables that
 * change together under one tenant row lock (a deletion revokes keys and removes users in the same
 * transaction); split, the lock would have to cross adapters.
 */
@ApplicationScoped
@Transactional
public class JpaTenancy implements Tenancy {

  @PersistenceContext(unitName = "platform")
  EntityManager em;

  @Override
  public TenantView createTenant(
      String slug,
      String displayName,
      Limits limits,
      Set<VariantCode> allowed,
      Integer queueWeight) {
    TenantPolicy.checkSlug(slug);
    String name = TenantPolicy.displayName(displayName);
    if (find(slug, false).isPresent()) {
      throw new ConflictException(
          "tenant_exists", "slug", "A tenant with slug '" + slug + "' exists already.");
    }
    TenantRecord t =
        new TenantRecord(UUID.randomUUID(), slug, name, limits == null ? Limits.NONE : limits);
    if (allowed != null) {
      t.entitlements(allowed);
    }
    if (queueWeight != null) {
      t.queueWeight(queueWeight);
    }
    em.persist(t);
    em.flush();
    return view(t);
  }

  private Optional<TenantRecord> find(String slug, boolean lock) {
    var query =
        em.createQuery("SELECT t FROM TenantRecord t WHERE t.slug = :slug", TenantRecord.class)
            .setParameter("slug", slug);
    if (lock) {
      query.setLockMode(LockModeType.PESSIMISTIC_WRITE);
    }
    return query.setMaxResults(1).getResultList().stream().findFirst();
  }

  private TenantRecord load(String slug) {
    return load(slug, false);
  }

  /** The tenant, locked for the rest of the transaction when {@code lock}; 404 when unknown. */
  private TenantRecord load(String slug, boolean lock) {
    return find(slug, lock)
        .orElseThrow(
            () -> new NotFoundException("tenant_not_found", "tenant", "No tenant '" + slug + "'."));
  }

  /** The tenant, its row locked for the rest of the transaction; 409 when it was deleted. */
  private TenantRecord loadLive(String slug) {
    TenantRecord t = load(slug, true);
    t.status().requireChangeable(slug, t.deletedAt());
    return t;
  }

  static TenantView view(TenantRecord t) {
    return new TenantView(
        t.id(),
        t.slug(),
        t.displayName(),
        t.status().name(),
        t.limits(),
        t.ceilings(),
        t.storeBodies(),
        t.queueWeight(),
        t.entitlements().stream().map(Enum::name).sorted().toList(),
        t.createdAt(),
        t.deletedAt());
  }

  @Override
  public List<TenantView> listTenants() {
    return em.createQuery(
            "SELECT DISTINCT t FROM TenantRecord t LEFT JOIN FETCH t.entitlements ORDER BY t.slug",
            TenantRecord.class)
        .getResultStream()
        .map(JpaTenancy::view)
        .toList();
  }

  @Override
  public TenantView tenant(String slug) {
    return view(load(slug));
  }

  @Override
  @Transactional(
      Transactional.TxType.MANDATORY) // a lock outside the caller's transaction holds nothing
  public TenantView lockLive(String slug) {
    return view(loadLive(slug));
  }

  @Override // REQUIRED: the sweeper's thread has no request, and no EntityManager without one
  public List<UUID> deletedTenants() {
    return em.createQuery(
            "SELECT t.id FROM TenantRecord t WHERE t.status = :deleted ORDER BY t.deletedAt",
            UUID.class)
        .setParameter("deleted", TenantStatus.DELETED)
        .getResultList();
  }

  @Override
  public TenantView deleteTenant(String slug) {
    TenantRecord t = load(slug, true);
    if (t.status() == TenantStatus.DELETED) {
      return view(t);
    }
    t.entitlements(Set.of());
    em.flush();
    em.createQuery("DELETE FROM TenantUserRecord u WHERE u.tenant = :t")
        .setParameter("t", t)
        .executeUpdate();
    em.createQuery(
            "UPDATE ApiKeyRecord k SET k.revokedAt = instant"
                + " WHERE k.tenant = :t AND k.revokedAt IS NULL")
        .setParameter("t", t)
        .executeUpdate();
    // status and date in one statement: the V6 check wants both or neither
    em.createQuery(
            "UPDATE TenantRecord t SET t.status = :deleted, t.deletedAt = instant"
                + " WHERE t.id = :id")
        .setParameter("deleted", TenantStatus.DELETED)
        .setParameter("id", t.id())
        .executeUpdate();
    em.refresh(t);
    return view(t);
  }

  @Override
  public TenantView updateTenant(
      String slug,
      Limits limits,
      String status,
      Boolean storeBodies,
      Set<VariantCode> allowed,
      Integer queueWeight) {
    TenantStatus next = status == null ? null : TenantStatus.settable(status);
    TenantRecord t = loadLive(slug);
    if (limits != null) {
      t.limits(limits);
    }
    if (next != null) {
      t.status(next);
    }
    if (storeBodies != null) {
      t.storeBodies(storeBodies);
    }
    if (allowed != null) {
      t.entitlements(allowed);
    }
    if (queueWeight != null) {
      t.queueWeight(queueWeight);
    }
    em.flush();
    return view(t);
  }

  @Override
  public TenantView limitCeilings(String slug, Limits ceilings) {
    TenantRecord t = loadLive(slug);
    t.ceilings(ceilings);
    em.flush();
    return view(t);
  }

  @Override
  public TenantView limitsWithinCeilings(String slug, Limits limits) {
    TenantRecord t = loadLive(slug); // locked: the check and the change see the same row
    TenantPolicy.checkWithinCeilings(t.limits(), limits, t.ceilings());
    t.limits(limits);
    em.flush();
    return view(t);
  }

  @Override
  public KeyView createKey(
      String slug,
      String name,
      Set<Scope> scopes,
      Limits limits,
      Instant expiresAt,
      UUID createdBy) {
    String keyName = KeyPolicy.name(name);
    Set<Scope> granted = KeyPolicy.granted(scopes);
    KeyPolicy.checkExpiry(expiresAt, Instant.now());
    TenantRecord t = loadLive(slug);
    if (createdBy != null) {
      if (ownUser(t, createdBy) == null) {
        throw new InvalidRequestException(
            "created_by", "created_by must be a user of tenant '" + slug + "'");
      }
    }
    String secret = KeyPolicy.newSecret();
    ApiKeyRecord k =
        new ApiKeyRecord(
            UUID.randomUUID(),
            t,
            keyName,
            secret.substring(0, KeyPolicy.VISIBLE_PREFIX),
            KeyPolicy.sha256(secret),
            granted,
            limits == null ? Limits.NONE : limits,
            expiresAt,
            createdBy);
    em.persist(k);
    em.flush();
    return view(k, secret);
  }

  private static KeyView view(ApiKeyRecord k, String secret) {
    return new KeyView(
        k.id(),
        k.tenant().slug(),
        k.name(),
        k.prefix(),
        k.scopes().stream().map(Scope::wire).sorted().toList(),
        k.limits(),
        k.expiresAt(),
        k.revokedAt(),
        k.createdAt(),
        secret);
  }

  @Override
  public List<KeyView> keys(String slug) {
    TenantRecord t = load(slug);
    return em.createQuery(
            "SELECT k FROM ApiKeyRecord k WHERE k.tenant = :t ORDER BY k.createdAt, k.id",
            ApiKeyRecord.class)
        .setParameter("t", t)
        .getResultStream()
        .map(k -> view(k, null))
        .toList();
  }

  /**
   * Tenant {@code t}'s key {@code keyId}: the tenant is in the query, so another tenant's key is
   * never loaded (nor locked) and answers as one that does not exist.
   */
  private ApiKeyRecord ownKey(TenantRecord t, UUID keyId, LockModeType lock) {
    return em.createQuery(
            "SELECT k FROM ApiKeyRecord k WHERE k.id = :id AND k.tenant = :tenant",
            ApiKeyRecord.class)
        .setParameter("id", keyId)
        .setParameter("tenant", t)
        .setLockMode(lock)
        .getResultStream()
        .findFirst()
        .orElseThrow(
            () -> new NotFoundException("api_key_not_found", "key", "No key " + keyId + "."));
  }

  /** Tenant {@code t}'s user {@code userId}, or null; the tenant is in the query. */
  private TenantUserRecord ownUser(TenantRecord t, UUID userId) {
    return em.createQuery(
            "SELECT u FROM TenantUserRecord u WHERE u.id = :id AND u.tenant = :tenant",
            TenantUserRecord.class)
        .setParameter("id", userId)
        .setParameter("tenant", t)
        .getResultStream()
        .findFirst()
        .orElse(null);
  }

  @Override
  public KeyView revokeKey(String slug, UUID keyId) {
    // locked (not live-checked: a tombstone's keys are revoked already, and revoking is idempotent)
    TenantRecord t = load(slug, true);
    ApiKeyRecord k = ownKey(t, keyId, LockModeType.NONE);
    em.createQuery(
            "UPDATE ApiKeyRecord k SET k.revokedAt = instant"
                + " WHERE k.id = :id AND k.tenant = :tenant AND k.revokedAt IS NULL")
        .setParameter("id", keyId)
        .setParameter("tenant", t)
        .executeUpdate();
    em.refresh(k);
    return view(k, null);
  }

  @Override
  public KeyView rotateKey(String slug, UUID keyId, Duration grace) {
    KeyPolicy.checkGrace(grace);
    TenantRecord t = loadLive(slug);
    ApiKeyRecord old = ownKey(t, keyId, LockModeType.PESSIMISTIC_WRITE);
    Instant now = Instant.now();
    KeyPolicy.admitRotation(old.revokedAt(), old.expiresAt(), now);
    Instant oldUntil = now.plus(grace);
    if (old.expiresAt() == null || old.expiresAt().isAfter(oldUntil)) {
      em.createQuery(
              "UPDATE ApiKeyRecord k SET k.expiresAt = :until WHERE k.id = :id AND k.tenant = :tenant")
          .setParameter("until", oldUntil)
          .setParameter("id", keyId)
          .setParameter("tenant", t)
          .executeUpdate();
    }
    String secret = KeyPolicy.newSecret();
    ApiKeyRecord k =
        new ApiKeyRecord(
            UUID.randomUUID(),
            t,
            old.name(),
            secret.substring(0, KeyPolicy.VISIBLE_PREFIX),
            KeyPolicy.sha256(secret),
            old.scopes(),
            old.limits(),
            old.expiresAt(),
            old.createdBy());
    em.persist(k);
    em.flush();
    return view(k, secret);
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public Caller authenticate(String secret) {
    if (!KeyPolicy.looksLikeKey(secret)) {
      throw KeyPolicy.unknownKey();
    }
    ApiKeyRecord k =
        em
            .createQuery(
                "SELECT k FROM ApiKeyRecord k JOIN FETCH k.tenant WHERE k.secretSha256 = :hash",
                ApiKeyRecord.class)
            .setParameter("hash", KeyPolicy.sha256(secret))
            .setMaxResults(1)
            .getResultList()
            .stream()
            .findFirst()
            .orElseThrow(KeyPolicy::unknownKey);
    TenantRecord t = k.tenant();
    KeyPolicy.admit(k.revokedAt(), k.expiresAt(), t.status(), Instant.now());
    return new Caller(
        t.id(), t.slug(), k.id(), k.prefix(), k.scopes(), t.storeBodies(), t.queueWeight());
  }

  @Override
  public Caller member(String slug, Set<Scope> scopes, String label) {
    TenantRecord t =
        find(slug, false)
            .filter(r -> r.status() != TenantStatus.DELETED)
            .orElseThrow(
                () ->
                    new PermissionDeniedException(
                        "tenant_unknown",
                        null,
                        "The token's tenant '" + slug + "' is not a tenant of this platform."));
    if (t.status() != TenantStatus.ACTIVE) {
      throw new PermissionDeniedException("tenant_suspended", null, "This tenant is suspended.");
    }
    return new Caller(t.id(), t.slug(), null, label, scopes, t.storeBodies(), t.queueWeight());
  }

  @Override
  public Caller resume(UUID tenantId, UUID apiKeyId, String label, Set<Scope> scopes) {
    if (apiKeyId != null) {
      ApiKeyRecord k =
          em
              .createQuery(
                  "SELECT k FROM ApiKeyRecord k JOIN FETCH k.tenant t"
                      + " WHERE k.id = :id AND t.id = :tenant",
                  ApiKeyRecord.class)
              .setParameter("id", apiKeyId)
              .setParameter("tenant", tenantId)
              .getResultList()
              .stream()
              .findFirst()
              .orElseThrow(KeyPolicy::unknownKey);
      TenantRecord t = k.tenant();
      KeyPolicy.admit(k.revokedAt(), k.expiresAt(), t.status(), Instant.now());
      return new Caller(
          t.id(), t.slug(), k.id(), k.prefix(), k.scopes(), t.storeBodies(), t.queueWeight());
    }
    TenantRecord t = em.find(TenantRecord.class, tenantId);
    if (t == null || t.status() == TenantStatus.DELETED) {
      throw new PermissionDeniedException("tenant_unknown", null, "The tenant was deleted.");
    }
    if (t.status() != TenantStatus.ACTIVE) {
      throw new PermissionDeniedException("tenant_suspended", null, "This tenant is suspended.");
    }
    return new Caller(t.id(), t.slug(), null, label, scopes, t.storeBodies(), t.queueWeight());
  }

  private static UserView view(TenantUserRecord u) {
    return new UserView(
        u.id(), u.tenant().slug(), u.issuer(), u.subject(), u.email(), u.role(), u.createdAt());
  }

  private Optional<TenantUserRecord> user(String issuer, String subject) {
    return em
        .createQuery(
            "SELECT u FROM TenantUserRecord u JOIN FETCH u.tenant"
                + " WHERE u.issuer = :issuer AND u.subject = :subject",
            TenantUserRecord.class)
        .setParameter("issuer", issuer)
        .setParameter("subject", subject)
        .setMaxResults(1)
        .getResultList()
        .stream()
        .findFirst();
  }

  @Override
  public UserView addUser(String slug, String issuer, String subject, String email, String role) {
    TenantPolicy.Role r = TenantPolicy.checkUser(issuer, subject, email, role);
    TenantRecord t = loadLive(slug);
    Optional<TenantUserRecord> owner = user(issuer, subject);
    if (owner.isPresent()) {
      throw new ConflictException(
          "user_exists",
          "subject",
          "That subject belongs to another tenant already."); // never which: tenants stay unknown
    }
    TenantUserRecord u =
        new TenantUserRecord(UUID.randomUUID(), t, issuer, subject, email, r.name());
    em.persist(u);
    em.flush();
    return view(u);
  }

  @Override
  public List<UserView> users(String slug) {
    TenantRecord t = load(slug);
    return em.createQuery(
            "SELECT u FROM TenantUserRecord u WHERE u.tenant = :t ORDER BY u.createdAt, u.id",
            TenantUserRecord.class)
        .setParameter("t", t)
        .getResultStream()
        .map(JpaTenancy::view)
        .toList();
  }

  @Override
  public void removeUser(String slug, UUID userId) {
    TenantRecord t = loadLive(slug);
    int removed =
        em.createQuery("DELETE FROM TenantUserRecord u WHERE u.id = :id AND u.tenant = :t")
            .setParameter("id", userId)
            .setParameter("t", t)
            .executeUpdate();
    if (removed == 0) {
      throw new NotFoundException("user_not_found", "id", "No user " + userId + ".");
    }
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public Optional<UserView> userBySubject(String issuer, String subject) {
    return user(issuer, subject).map(JpaTenancy::view);
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public boolean entitled(UUID tenantId, VariantCode variant) {
    return !em.createQuery(
            "SELECT 1 FROM TenantRecord t JOIN t.entitlements e WHERE t.id = :id AND e = :variant",
            Integer.class)
        .setParameter("id", tenantId)
        .setParameter("variant", variant)
        .setMaxResults(1)
        .getResultList()
        .isEmpty();
  }
}

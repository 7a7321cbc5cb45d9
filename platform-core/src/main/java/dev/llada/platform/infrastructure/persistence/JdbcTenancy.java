package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.KeyView;
import dev.llada.platform.application.Tenancy;
import dev.llada.platform.application.TenantView;
import dev.llada.platform.application.UserView;
import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.Limits;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.platform.domain.Scope;
import dev.llada.registry.domain.VariantCode;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

/** {@link Tenancy} on the V2 tables, in the caller's JTA transaction. */
@ApplicationScoped
@Transactional
public class JdbcTenancy implements Tenancy {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  private static final String KEY_PREFIX = "llk_";
  private static final String TENANT_COLUMNS =
      "id, slug, display_name, status, requests_per_minute, tokens_per_day,"
          + " compute_units_per_month, max_concurrent, store_bodies, created_at, deleted_at";
  private static final String KEY_COLUMNS =
      "k.id, t.slug, k.name, k.prefix, k.scopes, k.requests_per_minute, k.tokens_per_day,"
          + " k.compute_units_per_month, k.max_concurrent, k.expires_at, k.revoked_at,"
          + " k.created_at";

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  /** Runs {@code work}; unique violations become 409, an unreachable database 503. */
  private <T> T db(Sql.Work<T> work) {
    return Sql.run(dataSource, work, Sql::databaseUnavailable);
  }

  @Override
  public TenantView createTenant(
      String slug, String displayName, Limits limits, Set<VariantCode> allowed) {
    if (slug == null || !slug.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw new InvalidRequestException(
          "slug",
          "slug must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
    }
    if (displayName == null || displayName.isBlank() || displayName.length() > 200) {
      throw new InvalidRequestException("display_name", "display_name must be 1-200 characters");
    }
    Limits l = limits == null ? Limits.NONE : limits;
    return db(
        c -> {
          if (Sql.one(c, "SELECT 1 FROM tenant WHERE slug = ?", rs -> 1, slug).isPresent()) {
            throw new ConflictException(
                "tenant_exists", "slug", "A tenant with slug '" + slug + "' exists already.");
          }
          UUID id = UUID.randomUUID();
          Sql.update(
              c,
              "INSERT INTO tenant (id, slug, display_name, requests_per_minute, tokens_per_day,"
                  + " compute_units_per_month, max_concurrent) VALUES (?, ?, ?, ?, ?, ?, ?)",
              id,
              slug,
              displayName.strip(),
              l.requestsPerMinute(),
              l.tokensPerDay(),
              l.computeUnitsPerMonth(),
              l.maxConcurrent());
          if (allowed != null) {
            replaceEntitlements(c, id, allowed);
          }
          return load(c, slug);
        });
  }

  private static void replaceEntitlements(Connection c, UUID tenant, Set<VariantCode> allowed)
      throws SQLException {
    Sql.update(c, "DELETE FROM tenant_entitlement WHERE tenant_id = ?", tenant);
    for (VariantCode v : allowed) {
      Sql.update(
          c,
          "INSERT INTO tenant_entitlement (tenant_id, variant_code) VALUES (?, ?)",
          tenant,
          v.name());
    }
  }

  @Override
  public List<TenantView> listTenants() {
    return db(
        c -> {
          List<String> slugs =
              Sql.list(c, "SELECT slug FROM tenant ORDER BY slug", rs -> rs.getString(1));
          List<TenantView> out = new java.util.ArrayList<>();
          for (String s : slugs) {
            out.add(load(c, s));
          }
          return out;
        });
  }

  @Override
  public TenantView tenant(String slug) {
    return db(c -> load(c, slug));
  }

  @Override
  public TenantView lockLive(String slug) {
    return db(c -> loadLive(c, slug));
  }

  private static TenantView load(Connection c, String slug) throws SQLException {
    TenantView t =
        Sql.one(
                c,
                "SELECT " + TENANT_COLUMNS + " FROM tenant WHERE slug = ?",
                JdbcTenancy::tenantRow,
                slug)
            .orElseThrow(() -> tenantNotFound(slug));
    List<String> allowed =
        Sql.list(
            c,
            "SELECT variant_code FROM tenant_entitlement WHERE tenant_id = ? ORDER BY 1",
            rs -> rs.getString(1),
            t.id());
    return new TenantView(
        t.id(),
        t.slug(),
        t.displayName(),
        t.status(),
        t.limits(),
        t.storeBodies(),
        allowed,
        t.createdAt(),
        t.deletedAt());
  }

  private static NotFoundException tenantNotFound(String slug) {
    return new NotFoundException("tenant_not_found", "tenant", "No tenant '" + slug + "'.");
  }

  private static TenantView tenantRow(ResultSet rs) throws SQLException {
    return new TenantView(
        Sql.uuid(rs, "id"),
        rs.getString("slug"),
        rs.getString("display_name"),
        rs.getString("status"),
        limits(rs),
        rs.getBoolean("store_bodies"),
        List.of(),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "deleted_at"));
  }

  /** Locks the tenant's row for the rest of the transaction (nothing when there is none). */
  private static void lock(Connection c, String slug) throws SQLException {
    Sql.list(c, "SELECT 1 FROM tenant WHERE slug = ? FOR UPDATE", rs -> 1, slug);
  }

  /** A tenant that may still change: 409 for a deleted one. */
  private static TenantView loadLive(Connection c, String slug) throws SQLException {
    lock(c, slug); // serialises every change with deleteTenant: none slips in after a deletion
    TenantView t = load(c, slug);
    if (t.deleted()) {
      throw new dev.llada.platform.domain.ConflictException(
          "tenant_deleted",
          "tenant",
          "Tenant '" + slug + "' was deleted on " + t.deletedAt() + ".");
    }
    return t;
  }

  @Override
  public List<UUID> deletedTenants() {
    return db(
        c ->
            Sql.list(
                c,
                "SELECT id FROM tenant WHERE status = 'DELETED' ORDER BY deleted_at",
                rs -> Sql.uuid(rs, "id")));
  }

  @Override
  public TenantView deleteTenant(String slug) {
    return db(
        c -> {
          lock(c, slug);
          TenantView t = load(c, slug);
          if (t.deleted()) {
            return t;
          }
          Sql.update(
              c, "UPDATE tenant SET status = 'DELETED', deleted_at = now() WHERE id = ?", t.id());
          Sql.update(
              c,
              "UPDATE api_key SET revoked_at = now() WHERE tenant_id = ? AND revoked_at IS NULL",
              t.id());
          Sql.update(c, "DELETE FROM tenant_user WHERE tenant_id = ?", t.id());
          Sql.update(c, "DELETE FROM tenant_entitlement WHERE tenant_id = ?", t.id());
          return load(c, slug);
        });
  }

  private static Limits limits(ResultSet rs) throws SQLException {
    return new Limits(
        Sql.nullableLong(rs, "requests_per_minute"),
        Sql.nullableLong(rs, "tokens_per_day"),
        Sql.nullableLong(rs, "compute_units_per_month"),
        Sql.nullableLong(rs, "max_concurrent"));
  }

  @Override
  public TenantView updateTenant(
      String slug, Limits limits, String status, Boolean storeBodies, Set<VariantCode> allowed) {
    if (status != null && !status.equals("ACTIVE") && !status.equals("SUSPENDED")) {
      throw new InvalidRequestException("status", "status must be ACTIVE or SUSPENDED");
    }
    return db(
        c -> {
          TenantView t = loadLive(c, slug);
          if (limits != null) {
            Sql.update(
                c,
                "UPDATE tenant SET requests_per_minute = ?, tokens_per_day = ?,"
                    + " compute_units_per_month = ?, max_concurrent = ? WHERE id = ?",
                limits.requestsPerMinute(),
                limits.tokensPerDay(),
                limits.computeUnitsPerMonth(),
                limits.maxConcurrent(),
                t.id());
          }
          if (status != null) {
            Sql.update(c, "UPDATE tenant SET status = ? WHERE id = ?", status, t.id());
          }
          if (storeBodies != null) {
            Sql.update(c, "UPDATE tenant SET store_bodies = ? WHERE id = ?", storeBodies, t.id());
          }
          if (allowed != null) {
            replaceEntitlements(c, t.id(), allowed);
          }
          return load(c, slug);
        });
  }

  @Override
  public KeyView createKey(
      String slug,
      String name,
      Set<Scope> scopes,
      Limits limits,
      Instant expiresAt,
      UUID createdBy) {
    if (name == null || name.isBlank() || name.length() > 100) {
      throw new InvalidRequestException("name", "name must be 1-100 characters");
    }
    Set<Scope> granted = scopes == null || scopes.isEmpty() ? Scope.tenantScopes() : scopes;
    if (granted.contains(Scope.ADMIN)) {
      throw new InvalidRequestException("scopes", "a tenant key cannot hold the admin scope");
    }
    if (expiresAt != null && !expiresAt.isAfter(Instant.now())) {
      throw new InvalidRequestException("expires_at", "expires_at must be in the future");
    }
    Limits l = limits == null ? Limits.NONE : limits;
    String secret = newSecret();
    return db(
        c -> {
          TenantView t = loadLive(c, slug);
          if (createdBy != null
              && Sql.one(
                      c,
                      "SELECT 1 FROM tenant_user WHERE id = ? AND tenant_id = ?",
                      rs -> 1,
                      createdBy,
                      t.id())
                  .isEmpty()) {
            throw new InvalidRequestException(
                "created_by", "created_by must be a user of tenant '" + slug + "'");
          }
          UUID id = UUID.randomUUID();
          Sql.update(
              c,
              "INSERT INTO api_key (id, tenant_id, name, prefix, secret_sha256, scopes,"
                  + " requests_per_minute, tokens_per_day, compute_units_per_month,"
                  + " max_concurrent, expires_at, created_by)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              id,
              t.id(),
              name.strip(),
              secret.substring(0, 12),
              sha256(secret),
              Scope.format(granted),
              l.requestsPerMinute(),
              l.tokensPerDay(),
              l.computeUnitsPerMonth(),
              l.maxConcurrent(),
              expiresAt,
              createdBy);
          KeyView k = key(c, t.id(), id);
          return new KeyView(
              k.id(),
              k.tenant(),
              k.name(),
              k.prefix(),
              k.scopes(),
              k.limits(),
              k.expiresAt(),
              k.revokedAt(),
              k.createdAt(),
              secret);
        });
  }

  private static KeyView key(Connection c, UUID tenant, UUID keyId) throws SQLException {
    return Sql.one(
            c,
            "SELECT "
                + KEY_COLUMNS
                + " FROM api_key k JOIN tenant t ON t.id = k.tenant_id"
                + " WHERE k.tenant_id = ? AND k.id = ?",
            JdbcTenancy::keyRow,
            tenant,
            keyId)
        .orElseThrow(
            () -> new NotFoundException("api_key_not_found", "key", "No key " + keyId + "."));
  }

  private static KeyView keyRow(ResultSet rs) throws SQLException {
    return new KeyView(
        Sql.uuid(rs, "id"),
        rs.getString("slug"),
        rs.getString("name"),
        rs.getString("prefix"),
        List.of(rs.getString("scopes").split(",")),
        limits(rs),
        Sql.instant(rs, "expires_at"),
        Sql.instant(rs, "revoked_at"),
        Sql.instant(rs, "created_at"),
        null);
  }

  @Override
  public List<KeyView> keys(String slug) {
    return db(
        c -> {
          TenantView t = load(c, slug);
          return Sql.list(
              c,
              "SELECT "
                  + KEY_COLUMNS
                  + " FROM api_key k JOIN tenant t ON t.id = k.tenant_id"
                  + " WHERE k.tenant_id = ? ORDER BY k.created_at, k.id",
              JdbcTenancy::keyRow,
              t.id());
        });
  }

  @Override
  public KeyView revokeKey(String slug, UUID keyId) {
    return db(
        c -> {
          TenantView t = load(c, slug);
          key(c, t.id(), keyId);
          Sql.update(
              c,
              "UPDATE api_key SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL",
              keyId);
          return key(c, t.id(), keyId);
        });
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public Caller authenticate(String secret) {
    if (secret == null || !secret.startsWith(KEY_PREFIX) || secret.length() > 100) {
      throw invalidKey();
    }
    return db(
        c ->
            Sql.one(
                    c,
                    "SELECT k.id, k.prefix, k.scopes, k.expires_at, k.revoked_at, t.id AS tenant,"
                        + " t.slug, t.status, t.store_bodies FROM api_key k"
                        + " JOIN tenant t ON t.id = k.tenant_id WHERE k.secret_sha256 = ?",
                    rs -> {
                      if (rs.getTimestamp("revoked_at") != null) {
                        throw new AuthenticationException(
                            "api_key_revoked", "This API key has been revoked.");
                      }
                      Instant expires = Sql.instant(rs, "expires_at");
                      if (expires != null && !expires.isAfter(Instant.now())) {
                        throw new AuthenticationException(
                            "api_key_expired", "This API key expired at " + expires + ".");
                      }
                      if ("DELETED".equals(rs.getString("status"))) {
                        throw new AuthenticationException(
                            "api_key_revoked", "This API key's tenant was deleted.");
                      }
                      if (!"ACTIVE".equals(rs.getString("status"))) {
                        throw new dev.llada.platform.domain.PermissionDeniedException(
                            "tenant_suspended", null, "This tenant is suspended.");
                      }
                      return new Caller(
                          Sql.uuid(rs, "tenant"),
                          rs.getString("slug"),
                          Sql.uuid(rs, "id"),
                          rs.getString("prefix"),
                          Scope.parse(rs.getString("scopes")),
                          rs.getBoolean("store_bodies"));
                    },
                    sha256(secret))
                .orElseThrow(JdbcTenancy::invalidKey));
  }

  private static AuthenticationException invalidKey() {
    return new AuthenticationException(
        "invalid_api_key", "Incorrect API key provided. Keys are shown once, when created.");
  }

  private static final String USER_COLUMNS =
      "u.id, t.slug, u.issuer, u.subject, u.email, u.role, u.created_at";

  private static UserView userRow(ResultSet rs) throws SQLException {
    return new UserView(
        Sql.uuid(rs, "id"),
        rs.getString("slug"),
        rs.getString("issuer"),
        rs.getString("subject"),
        rs.getString("email"),
        rs.getString("role"),
        Sql.instant(rs, "created_at"));
  }

  @Override
  public UserView addUser(String slug, String issuer, String subject, String email, String role) {
    if (issuer == null || issuer.isBlank() || issuer.length() > 255) {
      throw new InvalidRequestException("issuer", "issuer must be 1-255 characters");
    }
    if (subject == null || subject.isBlank() || subject.length() > 255) {
      throw new InvalidRequestException("subject", "subject must be 1-255 characters");
    }
    String r = role == null ? "MEMBER" : role;
    if (!r.equals("OWNER") && !r.equals("ADMIN") && !r.equals("MEMBER")) {
      throw new InvalidRequestException("role", "role must be OWNER, ADMIN or MEMBER");
    }
    if (email != null && (email.length() > 320 || !email.contains("@"))) {
      throw new InvalidRequestException("email", "email must look like name@domain");
    }
    return db(
        c -> {
          TenantView t = loadLive(c, slug);
          Optional<String> owner =
              Sql.one(
                  c,
                  "SELECT t.slug FROM tenant_user u JOIN tenant t ON t.id = u.tenant_id"
                      + " WHERE u.issuer = ? AND u.subject = ?",
                  rs -> rs.getString(1),
                  issuer,
                  subject);
          if (owner.isPresent()) {
            throw new ConflictException(
                "user_exists",
                "subject",
                "That subject belongs to tenant '" + owner.get() + "' already.");
          }
          UUID id = UUID.randomUUID();
          Sql.update(
              c,
              "INSERT INTO tenant_user (id, tenant_id, issuer, subject, email, role)"
                  + " VALUES (?, ?, ?, ?, ?, ?)",
              id,
              t.id(),
              issuer,
              subject,
              email,
              r);
          return Sql.one(
                  c,
                  "SELECT "
                      + USER_COLUMNS
                      + " FROM tenant_user u JOIN tenant t"
                      + " ON t.id = u.tenant_id WHERE u.id = ?",
                  JdbcTenancy::userRow,
                  id)
              .orElseThrow();
        });
  }

  @Override
  public List<UserView> users(String slug) {
    return db(
        c -> {
          TenantView t = load(c, slug);
          return Sql.list(
              c,
              "SELECT "
                  + USER_COLUMNS
                  + " FROM tenant_user u JOIN tenant t ON t.id = u.tenant_id"
                  + " WHERE u.tenant_id = ? ORDER BY u.created_at, u.id",
              JdbcTenancy::userRow,
              t.id());
        });
  }

  @Override
  public void removeUser(String slug, UUID userId) {
    db(
        c -> {
          TenantView t = load(c, slug);
          if (Sql.update(
                  c, "DELETE FROM tenant_user WHERE id = ? AND tenant_id = ?", userId, t.id())
              == 0) {
            throw new NotFoundException("user_not_found", "id", "No user " + userId + ".");
          }
          return null;
        });
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public Optional<UserView> userBySubject(String issuer, String subject) {
    return db(
        c ->
            Sql.one(
                c,
                "SELECT "
                    + USER_COLUMNS
                    + " FROM tenant_user u JOIN tenant t ON t.id = u.tenant_id"
                    + " WHERE u.issuer = ? AND u.subject = ?",
                JdbcTenancy::userRow,
                issuer,
                subject));
  }

  @Override
  @Transactional(Transactional.TxType.SUPPORTS)
  public boolean entitled(UUID tenantId, VariantCode variant) {
    return db(
        c ->
            Sql.one(
                    c,
                    "SELECT 1 FROM tenant_entitlement WHERE tenant_id = ? AND variant_code = ?",
                    rs -> 1,
                    tenantId,
                    variant.name())
                .isPresent());
  }

  static String newSecret() {
    StringBuilder b = new StringBuilder(KEY_PREFIX);
    for (int i = 0; i < 40; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  static String sha256(String secret) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

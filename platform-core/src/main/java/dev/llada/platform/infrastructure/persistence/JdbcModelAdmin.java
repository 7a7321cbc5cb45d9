package dev.llada.platform.infrastructure.persistence;

import dev.llada.core.config.ModelFormatException;
import dev.llada.core.weights.ModelDirectory;
import dev.llada.platform.application.ModelAdmin;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.NotFoundException;
import dev.llada.registry.domain.VariantCode;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/** {@link ModelAdmin} on the registry tables (V1, V3). */
@ApplicationScoped
@Transactional
public class JdbcModelAdmin implements ModelAdmin {

  private static final int MAX_CARD = 64 * 1024;
  private static final String VERSION_COLUMNS =
      "v.id, v.name, v.version, v.variant_code, v.digest, v.artifact_uri, v.parameter_count,"
          + " v.dtype, v.layout, v.has_tokenizer, v.training_job, v.dataset, v.model_card,"
          + " v.created_at, b.name AS base_name, b.version AS base_number";
  private static final String FROM =
      " FROM model_version v LEFT JOIN model_version b ON b.id = v.base_version_id";

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  private <T> T db(Sql.Work<T> work) {
    return Sql.run(dataSource, work, Sql::databaseUnavailable);
  }

  @Override
  public Registered register(
      String name,
      VariantCode variant,
      Path directory,
      String baseVersion,
      String trainingJob,
      String dataset,
      Map<String, String> tags) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9._-]{0,127}")) {
      throw new InvalidRequestException(
          "name", "name must be 1-128 characters of a-z, 0-9, '.', '_' and '-'");
    }
    if (trainingJob != null && (trainingJob.isBlank() || trainingJob.length() > 128)) {
      throw new InvalidRequestException("training_job", "training_job must be 1-128 characters");
    }
    if (dataset != null && (dataset.isBlank() || dataset.length() > 200)) {
      throw new InvalidRequestException("dataset", "dataset must be 1-200 characters");
    }
    if (baseVersion != null && baseVersion.length() > 140) {
      throw new InvalidRequestException(
          "base_version", "base_version must look like name:N (at most 140 characters)");
    }
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
    String card = modelCard(directory);
    return db(
        c -> {
          Sql.list(c, "SELECT pg_advisory_xact_lock(hashtext(?))", rs -> 1, "model:" + name);
          Optional<VersionView> same =
              Sql.one(
                  c,
                  "SELECT " + VERSION_COLUMNS + FROM + " WHERE v.name = ? AND v.digest = ?",
                  JdbcModelAdmin::versionRow,
                  name,
                  model.digest());
          if (same.isPresent()) {
            return new Registered(withTags(c, same.get()), false);
          }
          UUID base = baseVersion == null ? null : versionId(c, baseVersion, "base_version");
          int next =
              Sql.one(
                      c,
                      "SELECT coalesce(max(version), 0) + 1 FROM model_version WHERE name = ?",
                      rs -> rs.getInt(1),
                      name)
                  .orElse(1);
          UUID id = UUID.randomUUID();
          Sql.update(
              c,
              "INSERT INTO model_version (id, variant_code, name, version, digest, artifact_uri,"
                  + " parameter_count, dtype, layout, has_tokenizer, model_card, base_version_id,"
                  + " training_job, dataset) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              id,
              variant.name(),
              name,
              next,
              model.digest(),
              directory.normalize().toUri().toString(),
              model.parameterCount(),
              model.dtype().equals("MIXED") ? "F32" : model.dtype(),
              model.layout(),
              model.hasTokenizer(),
              card,
              base,
              trainingJob,
              dataset);
          if (tags != null) {
            setTags(c, id, tags);
          }
          return new Registered(load(c, name, next), true);
        });
  }

  private static String modelCard(Path directory) {
    for (String file : List.of("MODEL_CARD.md", "README.md")) {
      Path p = directory.resolve(file);
      if (Files.isRegularFile(p)) {
        try {
          String text = Files.readString(p);
          return text.length() > MAX_CARD ? text.substring(0, MAX_CARD) : text;
        } catch (IOException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** The id of {@code name:N}; 400 naming {@code param} when it is malformed or unknown. */
  private static UUID versionId(Connection c, String ref, String param) throws SQLException {
    int colon = ref.lastIndexOf(':');
    int number;
    try {
      number = colon < 1 ? -1 : Integer.parseInt(ref.substring(colon + 1));
    } catch (NumberFormatException e) {
      number = -1;
    }
    if (number < 1) {
      throw new InvalidRequestException(param, param + " must look like name:N, got '" + ref + "'");
    }
    return Sql.one(
            c,
            "SELECT id FROM model_version WHERE name = ? AND version = ?",
            rs -> Sql.uuid(rs, "id"),
            ref.substring(0, colon),
            number)
        .orElseThrow(
            () -> new InvalidRequestException(param, "no registered version '" + ref + "'"));
  }

  private static VersionView versionRow(ResultSet rs) throws SQLException {
    String baseName = rs.getString("base_name");
    return new VersionView(
        Sql.uuid(rs, "id"),
        rs.getString("name"),
        rs.getInt("version"),
        rs.getString("variant_code"),
        rs.getString("digest"),
        rs.getString("artifact_uri"),
        rs.getLong("parameter_count"),
        rs.getString("dtype"),
        rs.getString("layout"),
        rs.getBoolean("has_tokenizer"),
        baseName == null ? null : baseName + ":" + rs.getInt("base_number"),
        rs.getString("training_job"),
        rs.getString("dataset"),
        Map.of(),
        rs.getString("model_card"),
        Sql.instant(rs, "created_at"));
  }

  private static VersionView withTags(Connection c, VersionView v) throws SQLException {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String[] kv :
        Sql.list(
            c,
            "SELECT key, value FROM model_version_tag WHERE version_id = ? ORDER BY key",
            rs -> new String[] {rs.getString(1), rs.getString(2)},
            v.id())) {
      tags.put(kv[0], kv[1]);
    }
    return new VersionView(
        v.id(),
        v.name(),
        v.version(),
        v.variant(),
        v.digest(),
        v.artifactUri(),
        v.parameterCount(),
        v.dtype(),
        v.layout(),
        v.hasTokenizer(),
        v.baseVersion(),
        v.trainingJob(),
        v.dataset(),
        tags,
        v.modelCard(),
        v.createdAt());
  }

  private static VersionView load(Connection c, String name, int version) throws SQLException {
    return withTags(
        c,
        Sql.one(
                c,
                "SELECT " + VERSION_COLUMNS + FROM + " WHERE v.name = ? AND v.version = ?",
                JdbcModelAdmin::versionRow,
                name,
                version)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "version_not_found",
                        "version",
                        "No version " + name + ":" + version + ".")));
  }

  private static void setTags(Connection c, UUID id, Map<String, String> tags) throws SQLException {
    for (var e : tags.entrySet()) {
      if (!e.getKey().matches("[A-Za-z0-9_.:-]{1,64}")) {
        throw new InvalidRequestException("tags", "tag keys are 1-64 of A-Z a-z 0-9 _ . : -");
      }
      if (e.getValue() == null) {
        Sql.update(
            c, "DELETE FROM model_version_tag WHERE version_id = ? AND key = ?", id, e.getKey());
      } else {
        if (e.getValue().length() > 500) {
          throw new InvalidRequestException("tags", "tag values are at most 500 characters");
        }
        Sql.update(
            c,
            "INSERT INTO model_version_tag (version_id, key, value) VALUES (?, ?, ?)"
                + " ON CONFLICT (version_id, key) DO UPDATE SET value = EXCLUDED.value",
            id,
            e.getKey(),
            e.getValue());
      }
    }
  }

  @Override
  public List<VersionView> versions(String name) {
    return db(
        c -> {
          List<VersionView> out = new ArrayList<>();
          for (VersionView v :
              Sql.list(
                  c,
                  "SELECT " + VERSION_COLUMNS + FROM + " WHERE v.name = ? ORDER BY v.version",
                  JdbcModelAdmin::versionRow,
                  name)) {
            out.add(withTags(c, v));
          }
          if (out.isEmpty()) {
            throw new NotFoundException(
                "model_not_found", "model", "No versions of '" + name + "'.");
          }
          return out;
        });
  }

  @Override
  public VersionView version(String name, int version) {
    return db(c -> load(c, name, version));
  }

  @Override
  public VersionView tag(String name, int version, Map<String, String> tags) {
    return db(
        c -> {
          VersionView v = load(c, name, version);
          setTags(c, v.id(), tags);
          return load(c, name, version);
        });
  }

  @Override
  public Lineage lineage(String name, int version) {
    return db(
        c -> {
          VersionView v = load(c, name, version);
          List<VersionView> ancestors = new ArrayList<>();
          for (VersionView a :
              Sql.list(
                  c,
                  "WITH RECURSIVE up(id, depth) AS (SELECT base_version_id, 1 FROM model_version"
                      + " WHERE id = ? AND base_version_id IS NOT NULL UNION ALL SELECT"
                      + " m.base_version_id, up.depth + 1 FROM model_version m JOIN up ON m.id ="
                      + " up.id WHERE m.base_version_id IS NOT NULL AND up.depth < 100)"
                      + " SELECT "
                      + VERSION_COLUMNS
                      + FROM
                      + " JOIN up ON up.id = v.id ORDER BY up.depth",
                  JdbcModelAdmin::versionRow,
                  v.id())) {
            ancestors.add(withTags(c, a));
          }
          List<VersionView> descendants = new ArrayList<>();
          for (VersionView d :
              Sql.list(
                  c,
                  "WITH RECURSIVE down(id, depth) AS (SELECT id, 1 FROM model_version WHERE"
                      + " base_version_id = ? UNION ALL SELECT m.id, down.depth + 1 FROM"
                      + " model_version m JOIN down ON m.base_version_id = down.id WHERE"
                      + " down.depth < 100) SELECT "
                      + VERSION_COLUMNS
                      + FROM
                      + " JOIN down ON down.id = v.id ORDER BY down.depth, v.name, v.version",
                  JdbcModelAdmin::versionRow,
                  v.id())) {
            descendants.add(withTags(c, d));
          }
          return new Lineage(v, ancestors, descendants);
        });
  }

  private static UUID tenantId(Connection c, String slug) throws SQLException {
    if (slug == null) {
      return null;
    }
    return Sql.one(c, "SELECT id FROM tenant WHERE slug = ?", rs -> Sql.uuid(rs, "id"), slug)
        .orElseThrow(
            () -> new NotFoundException("tenant_not_found", "tenant", "No tenant '" + slug + "'."));
  }

  /** As {@link #tenantId}, for a write: 409 for a deleted tenant (docs/adr/0007). */
  private static UUID liveTenantId(Connection c, String slug) throws SQLException {
    UUID id = tenantId(c, slug);
    if (id != null
        && Sql.one(
                c,
                "SELECT 1 FROM tenant WHERE id = ? AND status = 'DELETED' FOR SHARE",
                rs -> 1,
                id)
            .isPresent()) {
      throw new ConflictException("tenant_deleted", "tenant", "Tenant '" + slug + "' was deleted.");
    }
    return id;
  }

  private static Optional<UUID> aliasId(Connection c, String alias, UUID tenant)
      throws SQLException {
    return tenant == null
        ? Sql.one(
            c,
            "SELECT id FROM model_alias WHERE tenant_id IS NULL AND alias = ? FOR UPDATE",
            rs -> Sql.uuid(rs, "id"),
            alias)
        : Sql.one(
            c,
            "SELECT id FROM model_alias WHERE tenant_id = ? AND alias = ? FOR UPDATE",
            rs -> Sql.uuid(rs, "id"),
            tenant,
            alias);
  }

  private static AliasView aliasView(Connection c, UUID aliasId, String tenant)
      throws SQLException {
    return Sql.one(
            c,
            "SELECT a.alias, v.name, v.version, a.updated_at FROM model_alias a"
                + " JOIN model_version v ON v.id = a.version_id WHERE a.id = ?",
            rs ->
                new AliasView(
                    rs.getString(1),
                    tenant,
                    rs.getString(2) + ":" + rs.getInt(3),
                    Sql.instant(rs, "updated_at")),
            aliasId)
        .orElseThrow();
  }

  @Override
  public AliasView promote(String alias, String tenant, String version) {
    if (alias == null || !alias.matches("[a-z0-9][a-z0-9._@-]{0,127}")) {
      throw new InvalidRequestException(
          "alias", "alias must be 1-128 characters of a-z, 0-9, '.', '_', '@' and '-'");
    }
    if (version == null) {
      throw new InvalidRequestException("version", "'version' (name:N) is required.");
    }
    return db(
        c -> {
          UUID t = liveTenantId(c, tenant);
          UUID target = versionId(c, version, "version");
          Optional<UUID> existing = aliasId(c, alias, t);
          UUID id;
          if (existing.isPresent()) {
            id = existing.get();
            int moved =
                Sql.update(
                    c,
                    "UPDATE model_alias SET version_id = ?, updated_at = now() WHERE id = ?"
                        + " AND version_id <> ?",
                    target,
                    id,
                    target);
            if (moved == 0) {
              return aliasView(c, id, tenant);
            }
            record(c, id, target, "PROMOTE");
          } else {
            id = UUID.randomUUID();
            Sql.update(
                c,
                "INSERT INTO model_alias (id, tenant_id, alias, version_id) VALUES (?, ?, ?, ?)",
                id,
                t,
                alias,
                target);
            record(c, id, target, "CREATE");
          }
          return aliasView(c, id, tenant);
        });
  }

  private static void record(Connection c, UUID alias, UUID version, String action)
      throws SQLException {
    Sql.update(
        c,
        "INSERT INTO model_alias_history (alias_id, version_id, action) VALUES (?, ?, ?)",
        alias,
        version,
        action);
  }

  @Override
  public AliasView rollback(String alias, String tenant) {
    return db(
        c -> {
          UUID t = tenantId(c, tenant);
          UUID id = aliasId(c, alias, t).orElseThrow(() -> aliasNotFound(alias));
          List<UUID> recent =
              Sql.list(
                  c,
                  "SELECT version_id FROM model_alias_history WHERE alias_id = ?"
                      + " ORDER BY id DESC LIMIT 2",
                  rs -> Sql.uuid(rs, "version_id"),
                  id);
          if (recent.size() < 2) {
            throw new ConflictException(
                "nothing_to_roll_back", "alias", "The alias '" + alias + "' has never moved.");
          }
          Sql.update(
              c,
              "UPDATE model_alias SET version_id = ?, updated_at = now() WHERE id = ?",
              recent.get(1),
              id);
          record(c, id, recent.get(1), "ROLLBACK");
          return aliasView(c, id, tenant);
        });
  }

  private static NotFoundException aliasNotFound(String alias) {
    return new NotFoundException("alias_not_found", "alias", "No alias '" + alias + "'.");
  }

  @Override
  public List<AliasMove> history(String alias, String tenant) {
    return db(
        c -> {
          UUID t = tenantId(c, tenant);
          UUID id =
              (t == null
                      ? Sql.one(
                          c,
                          "SELECT id FROM model_alias WHERE tenant_id IS NULL AND alias = ?",
                          rs -> Sql.uuid(rs, "id"),
                          alias)
                      : Sql.one(
                          c,
                          "SELECT id FROM model_alias WHERE tenant_id = ? AND alias = ?",
                          rs -> Sql.uuid(rs, "id"),
                          t,
                          alias))
                  .orElseThrow(() -> aliasNotFound(alias));
          return Sql.list(
              c,
              "SELECT v.name, v.version, h.action, h.changed_at FROM model_alias_history h"
                  + " JOIN model_version v ON v.id = h.version_id WHERE h.alias_id = ?"
                  + " ORDER BY h.id",
              rs ->
                  new AliasMove(
                      rs.getString(1) + ":" + rs.getInt(2),
                      rs.getString(3),
                      Sql.instant(rs, "changed_at")),
              id);
        });
  }

  @Override
  public List<AliasView> tenantAliases(UUID tenantId) {
    return db(
        c ->
            Sql.list(
                c,
                "SELECT a.alias, t.slug, v.name, v.version, a.updated_at FROM model_alias a"
                    + " JOIN model_version v ON v.id = a.version_id"
                    + " JOIN tenant t ON t.id = a.tenant_id WHERE a.tenant_id = ? ORDER BY 1",
                rs ->
                    new AliasView(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3) + ":" + rs.getInt(4),
                        Sql.instant(rs, "updated_at")),
                tenantId));
  }

  @Override
  public int deleteTenantAliases(UUID tenantId) {
    return db(c -> Sql.update(c, "DELETE FROM model_alias WHERE tenant_id = ?", tenantId));
  }

  @Override
  public Optional<AliasView> findAlias(String alias, String tenant) {
    return db(
        c -> {
          UUID t = tenant == null ? null : tenantId(c, tenant);
          return Sql.one(
              c,
              "SELECT a.alias, v.name, v.version, a.updated_at FROM model_alias a"
                  + " JOIN model_version v ON v.id = a.version_id WHERE a.alias = ? AND"
                  + (t == null ? " a.tenant_id IS NULL" : " a.tenant_id = ?"),
              rs ->
                  new AliasView(
                      rs.getString(1),
                      tenant,
                      rs.getString(2) + ":" + rs.getInt(3),
                      Sql.instant(rs, "updated_at")),
              t == null ? new Object[] {alias} : new Object[] {alias, t});
        });
  }
}

package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.application.FileStore;
import dev.llada.platform.application.StoredFile;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link FileStore} in PostgreSQL ({@code V13__files.sql}; docs/adr/0019): {@code tenant_file} rows
 * over the tenant's content-addressed {@code file_blob}s, whose bytes are {@code file_chunk}s of
 * {@link FileStore#CHUNK_BYTES}, written a chunk at a time and read one chunk per query (no
 * connection is held while a client downloads), so no file is ever whole in memory. A blob being
 * shared is locked by the adder ({@code ON CONFLICT DO UPDATE}) and by the deleter ({@code FOR
 * UPDATE}) before either decides, so a blob is never deleted under a file that is being added.
 */
@ApplicationScoped
@Transactional(Transactional.TxType.REQUIRES_NEW)
public class JdbcFileStore implements FileStore {

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  private <T> T db(Sql.Work<T> work) {
    return Sql.run(dataSource, work, Sql::databaseUnavailable);
  }

  @Override
  public Optional<StoredFile> add(StoredFile f, Path content, long tenantLimitBytes) {
    return db(
        c -> {
          // one add at a time per tenant, so the limit holds under concurrent uploads: a lock of
          // the files' own (the tenant row's lock would hold the tenant's admissions meanwhile)
          Sql.list(
              c,
              "SELECT pg_advisory_xact_lock(hashtextextended('llada.files:' || ?, 0))",
              rs -> 1,
              f.tenantId().toString());
          if (tenantBytes(c, f.tenantId()) + f.bytes() > tenantLimitBytes) {
            return Optional.<StoredFile>empty();
          }
          boolean fresh =
              Sql.one(
                      c,
                      "INSERT INTO file_blob (tenant_id, sha256, bytes) VALUES (?, ?, ?) ON CONFLICT"
                          + " (tenant_id, sha256) DO UPDATE SET bytes = EXCLUDED.bytes RETURNING"
                          + " (xmax = 0) AS fresh",
                      rs -> rs.getBoolean("fresh"),
                      f.tenantId(),
                      f.sha256(),
                      f.bytes())
                  .orElseThrow();
          if (fresh) {
            writeChunks(c, f.tenantId(), f.sha256(), content);
          }
          Sql.update(
              c,
              "INSERT INTO tenant_file (id, tenant_id, filename, purpose, bytes, sha256, created_at)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)",
              f.id(),
              f.tenantId(),
              f.filename(),
              f.purpose(),
              f.bytes(),
              f.sha256(),
              f.createdAt());
          return Optional.of(f);
        });
  }

  private static void writeChunks(Connection c, UUID tenantId, String sha256, Path content)
      throws SQLException {
    try (InputStream in = Files.newInputStream(content);
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO file_chunk (tenant_id, sha256, seq, data) VALUES (?, ?, ?, ?)")) {
      int seq = 0;
      while (true) {
        byte[] chunk = in.readNBytes(CHUNK_BYTES);
        if (chunk.length == 0) {
          break;
        }
        ps.setObject(1, tenantId);
        ps.setString(2, sha256);
        ps.setInt(3, seq++);
        ps.setBytes(4, chunk);
        ps.executeUpdate();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public List<StoredFile> list(
      UUID tenantId, String purpose, StoredFile after, int limit, boolean newestFirst) {
    String compare = newestFirst ? "<" : ">";
    String order = newestFirst ? "DESC" : "ASC";
    StringBuilder sql =
        new StringBuilder(
            "SELECT id, tenant_id, filename, purpose, bytes, sha256, created_at FROM tenant_file"
                + " WHERE tenant_id = ?");
    List<Object> params = new ArrayList<>(List.of(tenantId));
    if (purpose != null) {
      sql.append(" AND purpose = ?");
      params.add(purpose);
    }
    if (after != null) {
      sql.append(" AND (created_at, id) ").append(compare).append(" (?, ?)");
      params.add(after.createdAt());
      params.add(after.id());
    }
    sql.append(" ORDER BY created_at ").append(order).append(", id ").append(order);
    sql.append(" LIMIT ?");
    params.add(limit);
    return db(c -> Sql.list(c, sql.toString(), JdbcFileStore::file, params.toArray()));
  }

  @Override
  public Optional<StoredFile> find(UUID tenantId, String id) {
    return db(
        c ->
            Sql.one(
                c,
                "SELECT id, tenant_id, filename, purpose, bytes, sha256, created_at FROM"
                    + " tenant_file WHERE tenant_id = ? AND id = ?",
                JdbcFileStore::file,
                tenantId,
                id));
  }

  @Override
  public Optional<byte[]> chunk(UUID tenantId, String sha256, int seq) {
    return db(
        c ->
            Sql.one(
                c,
                "SELECT data FROM file_chunk WHERE tenant_id = ? AND sha256 = ? AND seq = ?",
                rs -> rs.getBytes(1),
                tenantId,
                sha256,
                seq));
  }

  @Override
  public boolean delete(UUID tenantId, String id) {
    return db(
        c -> {
          Optional<String> sha =
              Sql.one(
                  c,
                  "DELETE FROM tenant_file WHERE tenant_id = ? AND id = ? RETURNING sha256",
                  rs -> rs.getString(1),
                  tenantId,
                  id);
          if (sha.isPresent()) {
            dropIfUnused(c, tenantId, sha.get());
          }
          return sha.isPresent();
        });
  }

  /** Deletes the blob when no file has it any more (after waiting for a concurrent adder). */
  private static void dropIfUnused(Connection c, UUID tenantId, String sha256) throws SQLException {
    Sql.list(
        c,
        "SELECT 1 FROM file_blob WHERE tenant_id = ? AND sha256 = ? FOR UPDATE",
        rs -> 1,
        tenantId,
        sha256);
    Sql.update(
        c,
        "DELETE FROM file_blob WHERE tenant_id = ? AND sha256 = ? AND NOT EXISTS (SELECT 1 FROM"
            + " tenant_file WHERE tenant_id = ? AND sha256 = ?)",
        tenantId,
        sha256,
        tenantId,
        sha256);
  }

  @Override
  public long tenantBytes(UUID tenantId) {
    return db(c -> tenantBytes(c, tenantId));
  }

  private static long tenantBytes(Connection c, UUID tenantId) throws SQLException {
    return Sql.one(
            c,
            "SELECT coalesce(sum(bytes), 0) FROM tenant_file WHERE tenant_id = ?",
            rs -> rs.getLong(1),
            tenantId)
        .orElse(0L);
  }

  @Override
  public int purgeTenant(UUID tenantId) {
    return db(
        c -> {
          List<String> blobs =
              Sql.list(
                  c,
                  "DELETE FROM tenant_file WHERE tenant_id = ? RETURNING sha256",
                  rs -> rs.getString(1),
                  tenantId);
          for (String sha : new java.util.TreeSet<>(blobs)) {
            dropIfUnused(c, tenantId, sha);
          }
          return blobs.size();
        });
  }

  private static StoredFile file(ResultSet rs) throws SQLException {
    return new StoredFile(
        rs.getString("id"),
        Sql.uuid(rs, "tenant_id"),
        rs.getString("filename"),
        rs.getString("purpose"),
        rs.getLong("bytes"),
        rs.getString("sha256"),
        Sql.instant(rs, "created_at"));
  }
}

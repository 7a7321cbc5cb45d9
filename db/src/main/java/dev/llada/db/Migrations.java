package dev.llada.db;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings a database to the current schema with Flyway. The SQL under {@code db/migration} is the
 * one source of truth for the schema; Hibernate never generates or alters tables.
 */
public final class Migrations {

  /** Where the versioned SQL migrations live on the classpath. */
  public static final String LOCATION = "classpath:db/migration";

  private Migrations() {}

  /** What a migration run did. */
  public record Report(String schemaVersion, int migrationsApplied) {}

  /**
   * Applies pending migrations. Safe to call on every start and from several nodes at once: Flyway
   * serialises concurrent runs with a PostgreSQL advisory lock.
   */
  public static Report migrate(DataSource dataSource) {
    Flyway flyway =
        Flyway.configure(Migrations.class.getClassLoader())
            .dataSource(dataSource)
            .locations(LOCATION)
            .validateMigrationNaming(true)
            .failOnMissingLocations(true)
            .load();
    MigrateResult result = flyway.migrate();
    String version =
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : flyway.info().current() == null
                ? "none"
                : flyway.info().current().getVersion().getVersion();
    return new Report(version, result.migrationsExecuted);
  }
}

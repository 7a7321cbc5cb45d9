package dev.llada.platform.infrastructure.startup;

import dev.llada.db.Migrations;
import dev.llada.platform.application.ZooRegistration;
import dev.llada.platform.infrastructure.persistence.PlatformDataSource;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.annotation.sql.DataSourceDefinition;
import jakarta.ejb.ConcurrencyManagement;
import jakarta.ejb.ConcurrencyManagementType;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.TransactionManagement;
import jakarta.ejb.TransactionManagementType;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Defines the platform's datasource and migrates the schema when the application starts.
 *
 * <p>The connection comes from MicroProfile Config, resolved by Payara at deploy time: {@code
 * llada.db.url}, {@code llada.db.user}, {@code llada.db.password} (as system properties, or as the
 * environment variables {@code LLADA_DB_URL}, {@code LLADA_DB_USER}, {@code LLADA_DB_PASSWORD}).
 * {@code bin/platform} sets them from {@code DATABASE_URL} or from its embedded PostgreSQL. Payara
 * needs a default after the first ':' (stack-payara.md pitfall 3); the defaults here are never used
 * to connect: when any of the three is not configured the application refuses to touch the database
 * and says so in its readiness (issue S: no built-in credentials).
 *
 * <p>If the database is not there at startup, the application still deploys; readiness stays DOWN
 * and every readiness probe retries the migration (and the zoo registration) until it succeeds.
 */
@DataSourceDefinition(
    name = PlatformDataSource.JNDI,
    className = "org.postgresql.ds.PGSimpleDataSource",
    url = "${MPCONFIG=llada.db.url:jdbc:postgresql://127.0.0.1:5432/llada}",
    user = "${MPCONFIG=llada.db.user:not-configured}",
    password = "${MPCONFIG=llada.db.password:not-configured}",
    minPoolSize = 1,
    maxPoolSize = 20,
    properties = {"ApplicationName=llada-platform", "connectTimeout=10"})
@Singleton
@Startup
@ConcurrencyManagement(ConcurrencyManagementType.BEAN)
@TransactionManagement(TransactionManagementType.BEAN) // Flyway manages its own transactions
public class DatabaseBootstrap {

  private static final Logger LOG = Logger.getLogger(DatabaseBootstrap.class.getName());

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  private volatile Migrations.Report report;
  private volatile String lastFailure = "not attempted";

  @Inject ZooRegistration zoo;

  /** Migrates, then registers the bundled models, so they are listed from the first request on. */
  @PostConstruct
  void migrateAtStartup() {
    if (ensureMigrated()) {
      zoo.ensureRegistered();
    }
  }

  /** Migrates if that has not succeeded yet; true once the schema is current. */
  public synchronized boolean ensureMigrated() {
    if (report != null) {
      return true;
    }
    Optional<String> missing = missingSetting(key -> config().getOptionalValue(key, String.class));
    if (missing.isPresent()) {
      if (!lastFailure.equals(missing.get())) {
        LOG.severe(missing.get());
      }
      lastFailure = missing.get();
      return false;
    }
    try {
      report = Migrations.migrate(dataSource);
      LOG.info(
          () ->
              "database schema at version "
                  + report.schemaVersion()
                  + " ("
                  + report.migrationsApplied()
                  + " migrations applied)");
      return true;
    } catch (RuntimeException e) {
      lastFailure = rootMessage(e);
      LOG.log(Level.WARNING, "database migration failed, will retry: " + lastFailure);
      return false;
    }
  }

  /** The MicroProfile Config keys the datasource reads. */
  static final List<String> SETTINGS =
      List.of("llada.db.url", "llada.db.user", "llada.db.password");

  /**
   * Why the datasource must not be used, if one of its {@link #SETTINGS} has no (non-blank) value.
   */
  static Optional<String> missingSetting(Function<String, Optional<String>> config) {
    List<String> missing =
        SETTINGS.stream().filter(k -> config.apply(k).filter(v -> !v.isBlank()).isEmpty()).toList();
    if (missing.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "the database is not configured: set "
            + String.join(", ", missing.stream().map(DatabaseBootstrap::variable).toList())
            + " (or the system properties "
            + String.join(", ", missing)
            + "); bin/platform sets them from DATABASE_URL or its embedded PostgreSQL");
  }

  private static String variable(String key) {
    return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_');
  }

  private static Config config() {
    return ConfigProvider.getConfig();
  }

  /** The completed migration, if any. */
  public Optional<Migrations.Report> report() {
    return Optional.ofNullable(report);
  }

  /** Why the last migration attempt failed. */
  public String lastFailure() {
    return lastFailure;
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}

package dev.llada.platform.infrastructure.health;

import dev.llada.platform.application.ZooRegistration;
import dev.llada.platform.infrastructure.persistence.PlatformDataSource;
import dev.llada.platform.infrastructure.startup.DatabaseBootstrap;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.PersistenceUnit;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the schema is migrated and PostgreSQL answers a query within two seconds. */
@Readiness
@ApplicationScoped
public class DatabaseReadinessCheck implements HealthCheck {

  @Inject DatabaseBootstrap bootstrap;

  @Inject ZooRegistration zoo;

  @Resource(lookup = PlatformDataSource.JNDI)
  DataSource dataSource;

  @PersistenceUnit(unitName = "platform")
  EntityManagerFactory emf;

  @Override
  public HealthCheckResponse call() {
    HealthCheckResponseBuilder response = HealthCheckResponse.named("database");
    if (!bootstrap.ensureMigrated()) {
      return response.down().withData("error", bootstrap.lastFailure()).build();
    }
    if (!zoo.ensureRegistered()) {
      return response
          .down()
          .withData("error", "registering the model zoo failed; see the log")
          .build();
    }
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      statement.setQueryTimeout(2);
      try (ResultSet rs = statement.executeQuery("SELECT version()")) {
        rs.next();
        return response
            .up()
            .withData("schemaVersion", bootstrap.report().orElseThrow().schemaVersion())
            .withData("server", rs.getString(1).split(" on ")[0])
            .withData(
                "persistenceProvider", emf.unwrap(EntityManagerFactory.class).getClass().getName())
            .withData("zooModels", zoo.registered())
            .build();
      }
    } catch (SQLException e) {
      return response.down().withData("error", e.getMessage()).build();
    }
  }
}

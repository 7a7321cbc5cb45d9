package dev.llada.platform.infrastructure.persistence;

/**
 * The JNDI name of the platform's one datasource. The WAR defines it ({@code DatabaseBootstrap}'s
 * {@code @DataSourceDefinition}, from MicroProfile Config); the adapters here and the persistence
 * unit look it up, so JDBC and JPA share one JTA transaction manager.
 */
public final class PlatformDataSource {

  public static final String JNDI = "java:app/jdbc/platform";

  private PlatformDataSource() {}
}

package dev.llada.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/** Checks that a configured database answers, and says in plain words why not. */
public final class DatabaseProbe {

  private DatabaseProbe() {}

  /**
   * Opens and closes one connection.
   *
   * @throws DatabaseUnreachableException with a one-line reason (refused, unknown host, bad
   *     credentials, missing database, timeout)
   */
  public static void checkReachable(DatabaseSettings settings, Duration timeout)
      throws DatabaseUnreachableException {
    Properties props = new Properties();
    if (!settings.user().isEmpty()) {
      props.setProperty("user", settings.user());
    }
    if (!settings.password().isEmpty()) {
      props.setProperty("password", settings.password());
    }
    String seconds = Long.toString(Math.max(1, timeout.toSeconds()));
    props.setProperty("connectTimeout", seconds);
    props.setProperty("loginTimeout", seconds);
    props.setProperty("socketTimeout", seconds);
    try (Connection connection = new org.postgresql.Driver().connect(settings.jdbcUrl(), props)) {
      if (connection == null) {
        throw new DatabaseUnreachableException(
            "the PostgreSQL driver does not accept " + settings.redactedUrl(), null);
      }
      connection.isValid((int) Math.max(1, timeout.toSeconds()));
    } catch (SQLException e) {
      throw new DatabaseUnreachableException(describe(settings, e), e);
    }
  }

  static String describe(DatabaseSettings settings, SQLException e) {
    String where = settings.hostAndPort();
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.equals("08004")
        && settings.password().isEmpty()
        && rootMessage(e).contains("password")) {
      return "cannot use the configured database at "
          + where
          + ": the server asks user '"
          + settings.user()
          + "' for a password and none was given (set DATABASE_PASSWORD or put it in DATABASE_URL)";
    }
    String reason =
        switch (state) {
          case "28P01", "28000" ->
              "authentication failed for user '"
                  + settings.user()
                  + "' (check DATABASE_USER/DATABASE_PASSWORD)";
          case "3D000" -> "the database does not exist (" + settings.redactedUrl() + ")";
          case "08001", "08004", "08006" -> "no PostgreSQL answered (" + rootMessage(e) + ")";
          default -> rootMessage(e);
        };
    return "cannot use the configured database at " + where + ": " + reason;
  }

  /**
   * The innermost cause's message (its class name when it has none): what an operator can act on.
   */
  public static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isBlank() ? root.getClass().getSimpleName() : message;
  }
}

package dev.llada.platform.domain;

import java.sql.SQLException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a database failure means to the client, by SQLSTATE, the same for the JDBC adapters and for
 * JPA (whose exceptions carry the driver's {@link SQLException} as a cause): a unique violation is
 * a 409, as is any other integrity violation (a foreign key a concurrent change broke); a data
 * exception (class 22) or a CHECK violation a 400 (a backstop: the domain checks name the field
 * first, so it is logged to get the missing check written); anything else a 503 (the platform fails
 * closed).
 */
public final class DatabaseFailures {

  private static final Logger LOG = Logger.getLogger(DatabaseFailures.class.getName());

  private DatabaseFailures() {}

  /** The refusal for {@code e}, logged unless it is the client's. */
  public static PlatformException refusal(SQLException e) {
    String state = e.getSQLState();
    if ("23505".equals(state)) {
      return new ConflictException("already_exists", null, "That name is taken already.");
    }
    if (state != null && state.startsWith("23") && !state.equals("23514")) {
      // a row this request refers to changed under it (a foreign key), or a rule of the schema
      LOG.log(Level.INFO, "integrity violation " + state, e);
      return new ConflictException(
          "conflict", null, "The request conflicts with a change made at the same time; retry it.");
    }
    if (state != null && (state.startsWith("22") || state.equals("23514"))) {
      LOG.log(Level.WARNING, "input the checks let through", e);
      return new InvalidRequestException(
          null, "A value in the request is out of range or too long.");
    }
    LOG.log(Level.WARNING, "database work failed", e);
    return unavailable();
  }

  /** The usual 503 when the platform's database is unreachable. */
  public static ServiceUnavailableException unavailable() {
    return new ServiceUnavailableException(
        "database_unavailable", "The platform's database is unavailable; try again later.");
  }

  /** The driver's exception in {@code failure}'s causes, if a database call failed. */
  public static Optional<SQLException> cause(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException e) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }
}

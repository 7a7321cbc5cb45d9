package dev.llada.db;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the platform's PostgreSQL is, as JDBC wants it.
 *
 * <p>Read from {@code DATABASE_URL}, either in the libpq/Heroku form {@code
 * postgresql://user:password@host:5432/dbname?sslmode=require} or in the JDBC form {@code
 * jdbc:postgresql://host:5432/dbname}; {@code DATABASE_USER} and {@code DATABASE_PASSWORD} override
 * the credentials of either form. With no {@code DATABASE_URL} the platform uses its embedded
 * PostgreSQL.
 */
public record DatabaseSettings(String jdbcUrl, String user, String password) {

  public static final String URL_VARIABLE = "DATABASE_URL";
  public static final String USER_VARIABLE = "DATABASE_USER";
  public static final String PASSWORD_VARIABLE = "DATABASE_PASSWORD";

  private static final String JDBC_PREFIX = "jdbc:postgresql://";
  private static final String EXPECTED =
      "expected postgresql://user:password@host:5432/dbname or jdbc:postgresql://host:5432/dbname";

  public DatabaseSettings {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    user = user == null ? "" : user;
    password = password == null ? "" : password;
  }

  /** The configured database, or empty when the embedded one should be used. */
  public static Optional<DatabaseSettings> fromEnvironment(Map<String, String> env) {
    String url = env.get(URL_VARIABLE);
    if (url == null || url.isBlank()) {
      return Optional.empty();
    }
    return Optional.of(parse(url.trim(), env.get(USER_VARIABLE), env.get(PASSWORD_VARIABLE)));
  }

  /**
   * Parses a database URL; explicit {@code user}/{@code password} (may be null) win over the ones
   * in the URL.
   *
   * @throws InvalidDatabaseUrlException naming what is wrong, never echoing the password
   */
  public static DatabaseSettings parse(String url, String user, String password) {
    if (url.startsWith(JDBC_PREFIX)) {
      HostPort hostPort = hostPort(url.substring("jdbc:".length()));
      if (hostPort.database().isEmpty()) {
        throw new InvalidDatabaseUrlException("DATABASE_URL names no database; " + EXPECTED);
      }
      return new DatabaseSettings(url, user, password);
    }
    if (!(url.startsWith("postgresql://") || url.startsWith("postgres://"))) {
      throw new InvalidDatabaseUrlException(
          "DATABASE_URL must be a PostgreSQL URL (scheme "
              + schemeOf(url)
              + " is not supported); "
              + EXPECTED);
    }
    URI uri = uri(url);
    HostPort hostPort = hostPort(url);
    if (hostPort.database().isEmpty()) {
      throw new InvalidDatabaseUrlException("DATABASE_URL names no database; " + EXPECTED);
    }
    String urlUser = null;
    String urlPassword = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      urlUser = decode(parts[0]);
      urlPassword = parts.length > 1 ? decode(parts[1]) : null;
    }
    String jdbc =
        JDBC_PREFIX
            + hostPort.host()
            + ":"
            + hostPort.port()
            + "/"
            + hostPort.database()
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    return new DatabaseSettings(
        jdbc, user != null ? user : urlUser, password != null ? password : urlPassword);
  }

  /** Host and port, for messages ("cannot reach 10.0.0.5:5432"). */
  public String hostAndPort() {
    HostPort hostPort = hostPort(jdbcUrl.substring("jdbc:".length()));
    return hostPort.host() + ":" + hostPort.port();
  }

  /** The JDBC URL without query parameters, which may carry credentials; safe to print. */
  public String redactedUrl() {
    int query = jdbcUrl.indexOf('?');
    return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
  }

  @Override
  public String toString() {
    return "DatabaseSettings[" + redactedUrl() + ", user=" + user + "]";
  }

  private record HostPort(String host, int port, String database) {}

  private static HostPort hostPort(String url) {
    URI uri = uri(url);
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw new InvalidDatabaseUrlException("DATABASE_URL names no host; " + EXPECTED);
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    return new HostPort(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), database);
  }

  private static URI uri(String url) {
    try {
      return new URI(url);
    } catch (URISyntaxException e) {
      throw new InvalidDatabaseUrlException(
          "DATABASE_URL is not a valid URL (" + e.getReason() + "); " + EXPECTED);
    }
  }

  private static String schemeOf(String url) {
    int colon = url.indexOf(':');
    return colon < 0 ? "(none)" : "'" + url.substring(0, colon) + "'";
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}

package dev.llada.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class DatabaseSettingsTest {

  @Test
  void noDatabaseUrlMeansEmbedded() {
    assertTrue(DatabaseSettings.fromEnvironment(Map.of()).isEmpty());
    assertTrue(DatabaseSettings.fromEnvironment(Map.of("DATABASE_URL", "  ")).isEmpty());
  }

  @Test
  void libpqUrlBecomesJdbcWithDecodedCredentials() {
    DatabaseSettings s =
        DatabaseSettings.fromEnvironment(
                Map.of(
                    "DATABASE_URL",
                    "postgresql://llada:p%40ss%3Aw@db.internal:6543/prod?sslmode=require"))
            .orElseThrow();
    assertEquals("jdbc:postgresql://db.internal:6543/prod?sslmode=require", s.jdbcUrl());
    assertEquals("llada", s.user());
    assertEquals("p@ss:w", s.password());
    assertEquals("db.internal:6543", s.hostAndPort());
    assertEquals("jdbc:postgresql://db.internal:6543/prod", s.redactedUrl());
  }

  @Test
  void postgresSchemeAndDefaultPort() {
    DatabaseSettings s = DatabaseSettings.parse("postgres://u@localhost/app", null, null);
    assertEquals("jdbc:postgresql://localhost:5432/app", s.jdbcUrl());
    assertEquals("u", s.user());
    assertEquals("", s.password());
  }

  @Test
  void jdbcUrlIsKeptAndExplicitCredentialsWin() {
    DatabaseSettings s =
        DatabaseSettings.fromEnvironment(
                Map.of(
                    "DATABASE_URL", "jdbc:postgresql://10.1.2.3:5432/llada",
                    "DATABASE_USER", "svc",
                    "DATABASE_PASSWORD", "secret"))
            .orElseThrow();
    assertEquals("jdbc:postgresql://10.1.2.3:5432/llada", s.jdbcUrl());
    assertEquals("svc", s.user());
    assertEquals("secret", s.password());
    assertEquals("10.1.2.3:5432", s.hostAndPort());
  }

  @Test
  void toStringNeverShowsThePassword() {
    DatabaseSettings s =
        DatabaseSettings.parse("postgresql://u:hunter2@h:1/d?password=hunter2", null, null);
    assertFalse(s.toString().contains("hunter2"), s.toString());
  }

  @Test
  void badUrlsAreRejectedWithTheReason() {
    InvalidDatabaseUrlException mysql =
        assertThrows(
            InvalidDatabaseUrlException.class,
            () -> DatabaseSettings.parse("mysql://h/d", null, null));
    assertTrue(mysql.getMessage().contains("'mysql'"), mysql.getMessage());
    InvalidDatabaseUrlException noDb =
        assertThrows(
            InvalidDatabaseUrlException.class,
            () -> DatabaseSettings.parse("postgresql://h:5432/", null, null));
    assertTrue(noDb.getMessage().contains("no database"), noDb.getMessage());
    InvalidDatabaseUrlException noHost =
        assertThrows(
            InvalidDatabaseUrlException.class,
            () -> DatabaseSettings.parse("jdbc:postgresql:///d", null, null));
    assertTrue(noHost.getMessage().contains("no host"), noHost.getMessage());
    assertThrows(
        InvalidDatabaseUrlException.class,
        () -> DatabaseSettings.parse("postgresql://h:port/d", null, null));
    assertThrows(
        InvalidDatabaseUrlException.class, () -> DatabaseSettings.parse("just-words", null, null));
  }
}

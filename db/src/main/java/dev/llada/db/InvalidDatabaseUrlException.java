package dev.llada.db;

/** The configured database URL cannot be used; the message says why and what is expected. */
public final class InvalidDatabaseUrlException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidDatabaseUrlException(String message) {
    super(message);
  }
}

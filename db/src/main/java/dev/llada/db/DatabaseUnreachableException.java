package dev.llada.db;

/** The database could not be connected to; the message is meant for an operator to read. */
public final class DatabaseUnreachableException extends Exception {
  private static final long serialVersionUID = 1L;

  public DatabaseUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.llada.launcher;

/** A reason not to start, for a person to read; becomes one line on stderr and an exit code. */
final class LaunchException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Bad usage or configuration. */
  static final int USAGE = 2;

  /** Something outside the launcher failed (database, Payara). */
  static final int FAILURE = 1;

  private final int exitCode;

  LaunchException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}

package dev.llada.db;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.Properties;

/**
 * The embedded server's two passwords (its superuser's, the application role's), kept in {@value
 * #FILE} inside the data directory with mode 600. Passwords are 32 characters from [A-Za-z0-9]
 * (about 190 bits), so they can be written into SQL literals and environment variables as they are.
 */
record DatabaseCredentials(String superuserPassword, String applicationPassword) {

  static final String FILE = "llada-credentials.properties";

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  DatabaseCredentials {
    checkPassword(superuserPassword);
    checkPassword(applicationPassword);
  }

  /** New random passwords; the application's is {@code applicationPassword} when not null. */
  static DatabaseCredentials generate(String applicationPassword) {
    return new DatabaseCredentials(
        random(), applicationPassword != null ? applicationPassword : random());
  }

  DatabaseCredentials withApplicationPassword(String password) {
    return new DatabaseCredentials(superuserPassword, password);
  }

  /** Refuses a password that is short or not plain alphanumeric. */
  static void checkPassword(String password) {
    if (password == null || password.length() < 16 || !password.matches("[A-Za-z0-9]+")) {
      throw new IllegalArgumentException(
          "an embedded database password must be at least 16 characters from [A-Za-z0-9]");
    }
  }

  /** The credentials stored in {@code dataDirectory}, if any. */
  static Optional<DatabaseCredentials> read(Path dataDirectory) throws IOException {
    Path file = dataDirectory.resolve(FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    try {
      return Optional.of(
          new DatabaseCredentials(
              p.getProperty("superuser.password"), p.getProperty("application.password")));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " is damaged: " + e.getMessage(), e);
    }
  }

  /** Writes the file atomically, readable by its owner only. */
  void write(Path dataDirectory) throws IOException {
    Path file = dataDirectory.resolve(FILE);
    Path temp = dataDirectory.resolve(FILE + ".tmp");
    Files.deleteIfExists(temp);
    Files.createFile(
        temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Properties p = new Properties();
    p.setProperty("superuser.password", superuserPassword);
    p.setProperty("application.password", applicationPassword);
    try (Writer w = Files.newBufferedWriter(temp)) {
      p.store(w, "embedded PostgreSQL passwords (superuser postgres, application role llada)");
    }
    try {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static String random() {
    StringBuilder b = new StringBuilder(32);
    for (int i = 0; i < 32; i++) {
      b.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return b.toString();
  }

  /** Never prints the passwords. */
  @Override
  public String toString() {
    return "DatabaseCredentials[redacted]";
  }
}

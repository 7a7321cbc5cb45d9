package dev.llada.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The platform's master key (the administration API's credential): {@code LLADA_MASTER_KEY} when
 * set, otherwise one generated on first start and kept in {@code <data>/master-key} (mode 600), so
 * a local platform is never left with an open or unusable admin API.
 */
record MasterKey(String value, Path file) {

  static MasterKey resolve(String fromEnvironment, Path dataDirectory) throws LaunchException {
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      if (fromEnvironment.strip().length() < 16) {
        throw new LaunchException(
            LaunchException.USAGE, "LLADA_MASTER_KEY must have at least 16 characters");
      }
      return new MasterKey(fromEnvironment.strip(), null);
    }
    Path file = dataDirectory.resolve("master-key");
    try {
      if (Files.isRegularFile(file)) {
        String kept = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (kept.length() >= 16) {
          return new MasterKey(kept, file);
        }
      }
      byte[] random = new byte[24];
      new SecureRandom().nextBytes(random);
      String key = "llm_" + HexFormat.of().formatHex(random);
      Files.createDirectories(dataDirectory);
      Path tmp = Files.createTempFile(dataDirectory, "master-key", ".tmp");
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      Files.writeString(tmp, key + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return new MasterKey(key, file);
    } catch (IOException e) {
      throw new LaunchException(
          LaunchException.FAILURE, "cannot keep the master key in " + file + ": " + e.getMessage());
    }
  }

  /** Where the key comes from, never the key itself. */
  String describe() {
    return file == null
        ? "from LLADA_MASTER_KEY"
        : "in " + file + " (set LLADA_MASTER_KEY to choose one)";
  }
}

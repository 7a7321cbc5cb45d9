package dev.llada.core.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Whether this process runs MKL's Intel code path on an AMD CPU: {@code bin/mkl-intel-path}'s shim
 * ({@code llada-core/src/main/native/mkl_intel_path.c}) is loaded ahead of libtorch, through {@code
 * LD_PRELOAD} from {@code bin/llada} and {@code bin/platform}. See docs/adr/0004.
 */
public final class MklCodePath {

  /** The shim's file name, as {@code bin/mkl-intel-path} builds it. */
  public static final String SHIM = "libllada_mkl_intel_path.so";

  private MklCodePath() {}

  /** True when the shim is mapped into this process (Linux: {@code /proc/self/maps}). */
  public static boolean shimLoaded() {
    try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
      return maps.anyMatch(line -> line.endsWith("/" + SHIM));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}

package dev.llada.platform.application;

import dev.llada.platform.domain.PlatformException;

/** A file over {@code llada.files.max-bytes} (413). */
public final class FileTooLargeException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public FileTooLargeException(long bytes, long max) {
    super(
        413,
        "file_too_large",
        "file",
        "The file has " + bytes + " bytes; the limit is " + max + " bytes.");
  }
}

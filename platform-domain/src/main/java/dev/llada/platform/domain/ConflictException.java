package dev.llada.platform.domain;

/** The request clashes with what is stored (409). Nothing was changed. */
public final class ConflictException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String code, String param, String message) {
    super(409, code, param, message);
  }
}

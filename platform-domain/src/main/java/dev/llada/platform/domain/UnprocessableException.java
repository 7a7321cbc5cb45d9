package dev.llada.platform.domain;

/** Well-formed, but the platform cannot carry it out as asked (422). */
public final class UnprocessableException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public UnprocessableException(String code, String param, String message) {
    super(422, code, param, message);
  }
}

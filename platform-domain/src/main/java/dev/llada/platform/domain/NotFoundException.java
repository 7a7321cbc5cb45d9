package dev.llada.platform.domain;

/** A named thing (tenant, key, alias) does not exist for this caller (404). */
public final class NotFoundException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String code, String param, String message) {
    super(404, code, param, message);
  }
}

package dev.llada.platform.domain;

/** Authenticated, but not allowed to do this (403). */
public final class PermissionDeniedException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public PermissionDeniedException(String code, String param, String message) {
    super(403, code, param, message);
  }
}

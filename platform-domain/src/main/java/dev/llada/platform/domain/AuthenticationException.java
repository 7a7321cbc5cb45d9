package dev.llada.platform.domain;

/** No credentials, or credentials that are unknown, revoked or expired (401). */
public final class AuthenticationException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public AuthenticationException(String code, String message) {
    super(401, code, null, message);
  }
}

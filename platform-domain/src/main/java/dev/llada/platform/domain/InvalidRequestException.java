package dev.llada.platform.domain;

/** The request is malformed or asks for something impossible (400). */
public final class InvalidRequestException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String param, String message) {
    super(400, "invalid_request", param, message);
  }

  public InvalidRequestException(String code, String param, String message) {
    super(400, code, param, message);
  }
}

package dev.llada.platform.domain;

/**
 * A refusal the client can act on. Each subtype names a domain fact and carries the HTTP status and
 * the OpenAI-style error code it maps to.
 */
public abstract class PlatformException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;
  private final String param;

  protected PlatformException(int status, String code, String param, String message) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
  }

  /** HTTP status. */
  public int status() {
    return status;
  }

  /** Machine-readable error code, e.g. {@code model_not_found}. */
  public String code() {
    return code;
  }

  /** The request parameter at fault, or null. */
  public String param() {
    return param;
  }
}

package dev.llada.platform.domain;

/** A dependency (database, worker) is down; the request was not run and may be retried (503). */
public final class ServiceUnavailableException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public ServiceUnavailableException(String code, String message) {
    super(503, code, null, message);
  }
}

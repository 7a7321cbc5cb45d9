package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.PlatformException;

/** The body is over {@link RequestLogFilter#MAX_BODY_BYTES} (413); it was not read. */
final class PayloadTooLargeException extends PlatformException {
  private static final long serialVersionUID = 1L;

  PayloadTooLargeException(long bytes) {
    super(
        413,
        "request_too_large",
        null,
        "The request body has "
            + bytes
            + " bytes; the limit is "
            + RequestLogFilter.MAX_BODY_BYTES
            + ".");
  }
}

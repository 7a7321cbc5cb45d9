package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.PlatformException;

/** The body is over its cap (413); it was not parsed. */
final class PayloadTooLargeException extends PlatformException {
  private static final long serialVersionUID = 1L;

  PayloadTooLargeException(long cap) {
    super(
        413,
        "request_too_large",
        null,
        "The request body has more than "
            + cap
            + " bytes; the limit for this endpoint is "
            + cap
            + " bytes.");
  }
}

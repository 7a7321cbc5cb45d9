package dev.llada.platform.interfaces.web;

import java.io.IOException;

/**
 * A streamed body passed its cap while it was read ({@link CappedRequest}): answered 413 {@code
 * request_too_large} by the API's exception mapper, whatever reader it surfaced through.
 */
public final class BodyTooLargeException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long cap;

  public BodyTooLargeException(long cap) {
    super(
        "The request body has more than "
            + cap
            + " bytes; the limit for this endpoint is "
            + cap
            + " bytes.");
    this.cap = cap;
  }

  /** The cap it passed. */
  public long cap() {
    return cap;
  }
}

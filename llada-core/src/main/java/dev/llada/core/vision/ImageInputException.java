package dev.llada.core.vision;

/**
 * An image that cannot be used, with a stable code for the API's error body and a message that says
 * what is wrong and, where there is one, what to do.
 */
public final class ImageInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Why an image was refused. */
  public enum Reason {
    /** More bytes, or more pixels in its header, than the limits allow. */
    IMAGE_TOO_LARGE,
    /** Not a PNG or a JPEG. */
    NOT_AN_IMAGE,
    /** A PNG or JPEG that does not decode. */
    CORRUPT_IMAGE,
    /** A well-formed image of a kind this reader does not handle. */
    UNSUPPORTED_IMAGE,
    /** A prompt whose {@code <image>} placeholders and images differ in number. */
    IMAGE_COUNT_MISMATCH
  }

  private final Reason reason;

  public ImageInputException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public ImageInputException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** The code for an OpenAI-style error body, e.g. {@code image_too_large}. */
  public String code() {
    return reason.name().toLowerCase(java.util.Locale.ROOT);
  }
}

package dev.llada.core.config;

/**
 * A model directory or file that cannot be used: missing file, malformed JSON, impossible sizes, a
 * tensor with the wrong name, shape or offsets. The message names the file and what is wrong.
 */
public class ModelFormatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}

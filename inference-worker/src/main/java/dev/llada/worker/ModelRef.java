package dev.llada.worker;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A registered model version the worker can load: its directory in the Hugging Face layout and the
 * content digest that identifies it (two names for the same content share one resident copy).
 *
 * @param name the name the client used, for messages
 * @param directory config.json, tokenizer.json and the safetensors weights
 * @param digest {@code sha256:...} of the directory's content
 */
public record ModelRef(String name, Path directory, String digest) {
  public ModelRef {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(digest, "digest");
  }
}

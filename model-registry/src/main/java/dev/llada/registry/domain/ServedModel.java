package dev.llada.registry.domain;

import java.time.Instant;
import java.util.Objects;

/**
 * A name a client can put in a request's {@code model} field: a variant of the family, or a global
 * alias that points at one registered version of a variant.
 *
 * @param id the callable name ({@code llada-8b-instruct}, {@code instruct@prod})
 * @param variant the family member it resolves to
 * @param ownedBy the organisation that publishes it
 * @param created when it entered the registry
 * @param version the registered version behind an alias ({@code name:N}), or null for a bare
 *     variant
 * @param artifactUri where that version's files are ({@code file:///...}), or null
 * @param digest that version's content digest, or null
 */
public record ServedModel(
    String id,
    VariantCode variant,
    String ownedBy,
    Instant created,
    String version,
    String artifactUri,
    String digest) {

  public ServedModel {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(variant, "variant");
    Objects.requireNonNull(ownedBy, "ownedBy");
    Objects.requireNonNull(created, "created");
  }

  /** Whether a version stands behind this name, so that it can run. */
  public boolean servable() {
    return artifactUri != null;
  }

  /**
   * The version's directory when its files are on this node (a directory at {@code artifactUri}).
   */
  public java.util.Optional<java.nio.file.Path> localDirectory() {
    if (artifactUri == null) {
      return java.util.Optional.empty();
    }
    try {
      java.nio.file.Path dir = java.nio.file.Path.of(java.net.URI.create(artifactUri));
      return java.nio.file.Files.isDirectory(dir)
          ? java.util.Optional.of(dir)
          : java.util.Optional.empty();
    } catch (RuntimeException notAFileUri) {
      return java.util.Optional.empty();
    }
  }
}

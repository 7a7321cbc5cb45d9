package dev.llada.registry.domain;

/** Port: registering checkpoints as immutable versions and naming them with aliases. */
public interface ModelRegistry {

  /**
   * Registers {@code model} as the next version of its name, unless a version of that name with the
   * same digest exists already; either way returns the version that holds this content.
   */
  ModelVersion registerIfNew(NewModelVersion model);

  /** Creates the global alias, or moves it to {@code version}. */
  void pointAlias(String alias, ModelVersion version);
}

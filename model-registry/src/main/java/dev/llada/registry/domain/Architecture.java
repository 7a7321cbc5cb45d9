package dev.llada.registry.domain;

/** The network shape behind a variant, which decides the loader and the memory estimate. */
public enum Architecture {
  DENSE,
  MOE,
  VISION
}

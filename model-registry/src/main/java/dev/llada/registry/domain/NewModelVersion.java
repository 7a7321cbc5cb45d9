package dev.llada.registry.domain;

/**
 * What registering a checkpoint records.
 *
 * @param variant the family member it is a checkpoint of
 * @param name the model's name, e.g. {@code llada-tiny-instruct}
 * @param digest {@code sha256:<hex>} over the model's files
 * @param artifactUri where the files are, e.g. {@code file:///srv/models/llada-tiny-instruct}
 * @param parameterCount parameters of the network
 * @param dtype {@code F32}, {@code F16} or {@code BF16}
 */
public record NewModelVersion(
    VariantCode variant,
    String name,
    String digest,
    String artifactUri,
    long parameterCount,
    String dtype) {}

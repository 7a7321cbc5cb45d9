package dev.llada.registry.domain;

import java.util.Map;

/**
 * What registration needs to know of a checkpoint: its name in the registry, what its files are
 * (digest, where, size, dtype, layout, card) and where it comes from (lineage). The platform reads
 * the directory; the registry numbers and stores.
 *
 * @param baseVersion {@code name:N} of the version it was trained from, or null
 * @param tags initial tags, or null
 */
public record NewVersion(
    String name,
    VariantCode variant,
    String digest,
    String artifactUri,
    long parameterCount,
    String dtype,
    String layout,
    boolean hasTokenizer,
    String modelCard,
    String baseVersion,
    String trainingJob,
    String dataset,
    Map<String, String> tags) {}

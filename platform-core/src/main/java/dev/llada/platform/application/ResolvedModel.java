package dev.llada.platform.application;

import dev.llada.registry.domain.VariantCode;
import dev.llada.worker.ModelRef;

/**
 * A model a caller may run: the files the worker loads, and the variant the name resolved to.
 *
 * @param ref what the worker loads
 * @param variant the family member behind the name (images need VISION)
 */
public record ResolvedModel(ModelRef ref, VariantCode variant) {}

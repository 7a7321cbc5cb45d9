/**
 * Safetensors checkpoints: a memory-mapped reader with long offsets and the checks of the reference
 * (Rust) reader, sharded checkpoints through {@code model.safetensors.index.json}, F32/F16/BF16
 * tensors widened to F32 in Java (BF16 never reaches DJL, which aborts the JVM on it; djl.md §2),
 * and a writer for our own checkpoints.
 */
package dev.llada.core.weights;

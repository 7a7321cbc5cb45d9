/**
 * The LLaDA model family and its math (ARCHITECTURE: {@code llada-core}).
 *
 * <p>Will hold, one package per idea: {@code config} (Hugging Face {@code config.json}), {@code
 * weights} (memory-mapped safetensors, sharded checkpoints), {@code model} (the bidirectional
 * transformer forward on DJL, behind {@code MaskPredictor}), {@code tokenizer} (DJL's Hugging Face
 * tokenizer plus the Instruct chat template), {@code sampling} (the reference sampler of {@code
 * generate.py} and the fast samplers), {@code likelihood} (Monte Carlo ELBO), {@code training} and
 * {@code cli}. This package must never depend on Jakarta EE: the enforcer's {@code
 * bannedDependencies} and {@code ArchitectureTest} keep it a plain library.
 */
package dev.llada.core;

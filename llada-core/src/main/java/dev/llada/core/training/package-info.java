/**
 * Training (llada-spec §5): the masked-diffusion pre-training and SFT losses, AdamW with a
 * hand-written global-norm clip (DJL's {@code optClipGrad} is per-element and one-sided, djl.md
 * §4), warm-up then WSD or cosine decay, gradient accumulation, checkpoints with exact resume, a
 * NaN guard, a progress line and JSONL metrics. Driven by a JSON recipe: {@code bin/llada train
 * --recipe FILE}.
 */
package dev.llada.core.training;

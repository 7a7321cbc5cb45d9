package dev.llada.worker;

/**
 * What a finished generation produced.
 *
 * @param completionIds the generated ids up to (not including) the first EOS or end-of-turn
 * @param text those ids decoded, special tokens skipped
 * @param finishReason {@code stop} when an EOS/EoT ended the answer, {@code length} when the canvas
 *     ran full
 * @param steps denoising steps run
 * @param nfe forward passes run (two rows each with CFG)
 * @param millis wall time on the inference thread
 * @param computeUnits Σ over forwards of the positions computed (two rows each with CFG): the
 *     canvas for a full forward, the query for a cached one (the billing unit)
 */
public record GenerationResult(
    int[] completionIds,
    String text,
    String finishReason,
    int steps,
    int nfe,
    long millis,
    long computeUnits) {}

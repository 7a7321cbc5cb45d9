/**
 * Sequence-level sampler logic in plain Java types (llada-spec §2): block bookkeeping, transfer
 * schedules, top-k commits. Work over the vocabulary dimension stays behind the mask predictor.
 */
package dev.llada.core.sampling;

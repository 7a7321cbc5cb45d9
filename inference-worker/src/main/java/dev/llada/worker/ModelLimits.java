package dev.llada.worker;

/**
 * What a loaded model can take, read from its files.
 *
 * @param maxSequenceLength prompt + gen_length may not exceed it
 * @param vocabSize token ids are below it
 * @param eosId end of text (also the padding of an answer)
 * @param eotId end of turn
 */
public record ModelLimits(int maxSequenceLength, int vocabSize, int eosId, int eotId) {}

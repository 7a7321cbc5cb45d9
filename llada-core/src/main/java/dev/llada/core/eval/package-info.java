/**
 * The evaluation harness: exact-match accuracy per task with Wilson 95 % intervals, likelihood
 * multiple-choice accuracy, NFE and wall time ({@code bin/llada eval}).
 */
package dev.llada.core.eval;

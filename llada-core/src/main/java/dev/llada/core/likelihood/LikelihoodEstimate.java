package dev.llada.core.likelihood;

/**
 * A Monte Carlo estimate of log p(answer | prompt) (in expectation a lower bound).
 *
 * @param logLikelihood the estimate, in nats
 * @param standardError standard error over the Monte Carlo batches (NaN with a single batch)
 * @param mcNum samples drawn
 * @param nfe forward passes run
 */
public record LikelihoodEstimate(double logLikelihood, double standardError, int mcNum, int nfe) {}

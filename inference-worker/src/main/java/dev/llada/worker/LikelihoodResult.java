package dev.llada.worker;

/**
 * @param logLikelihood the estimate of log p(continuation | context)
 * @param standardError its Monte Carlo standard error
 * @param mcNum samples used
 * @param nfe forward passes run
 * @param millis wall time on the inference thread
 */
public record LikelihoodResult(
    double logLikelihood, double standardError, int mcNum, int nfe, long millis) {}

/**
 * Conditional log-likelihood by Monte Carlo over the forward process ({@code
 * get_log_likelihood.py}, llada-spec §3; paper Eq. 6).
 */
package dev.llada.core.likelihood;

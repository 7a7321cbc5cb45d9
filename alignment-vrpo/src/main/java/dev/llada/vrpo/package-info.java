/**
 * VRPO preference alignment (ARCHITECTURE: {@code alignment-vrpo}; llada-spec §6), to come with the
 * alignment issue: preference datasets, the ELBO with a sampling budget, optimal allocation and
 * antithetic sampling, the DPO-E loss, reference-model handling, checkpoints, metrics, and a job
 * runner usable from the CLI and from the platform.
 */
package dev.llada.vrpo;

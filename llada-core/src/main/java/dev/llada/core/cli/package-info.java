/**
 * The {@code llada} command line ({@code bin/llada}): {@code inspect}, {@code generate}, {@code
 * chat}, {@code loglik} and {@code logits} on any model directory in the Hugging Face layout.
 */
package dev.llada.core.cli;

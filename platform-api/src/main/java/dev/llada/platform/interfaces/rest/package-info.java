/**
 * JAX-RS resources of the OpenAI-compatible tenant API under {@code /v1}, and the one exception
 * mapper that turns every failure into an OpenAI error envelope.
 */
package dev.llada.platform.interfaces.rest;

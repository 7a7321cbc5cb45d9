/** MicroProfile Health checks served at {@code /health/live} and {@code /health/ready}. */
package dev.llada.platform.infrastructure.health;

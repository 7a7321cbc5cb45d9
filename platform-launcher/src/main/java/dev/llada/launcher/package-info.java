/**
 * {@code bin/platform}: starts the embedded PostgreSQL (or checks the configured one), runs Payara
 * Micro with the platform WAR in a child JVM, waits for {@code /health/ready}, prints the URLs, and
 * on Ctrl-C stops Payara, then PostgreSQL, leaving no process behind and the data directory in
 * place.
 */
package dev.llada.launcher;

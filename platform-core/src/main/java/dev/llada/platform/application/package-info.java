/**
 * Use cases of the platform and the typed exceptions they raise; {@code
 * interfaces.rest.ApiExceptionMapper} is the one place that turns them into HTTP.
 */
package dev.llada.platform.application;

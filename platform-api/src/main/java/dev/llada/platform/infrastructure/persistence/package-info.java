/** The platform's datasource and the Flyway run at startup. */
package dev.llada.platform.infrastructure.persistence;

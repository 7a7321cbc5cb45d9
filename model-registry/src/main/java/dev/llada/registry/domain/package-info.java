/** Registry entities (mapped onto the Flyway schema) and the ports the platform calls. */
package dev.llada.registry.domain;

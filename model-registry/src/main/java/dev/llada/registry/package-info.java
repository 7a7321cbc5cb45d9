/**
 * The model registry (ARCHITECTURE: {@code model-registry}): which LLaDA variants exist, which
 * checkpoints are registered for them, and the names tenants call them by. {@code domain} holds the
 * entities and ports; {@code infrastructure.jpa} the Hibernate adapters. The schema is owned by the
 * {@code db} module's Flyway migrations; nothing here creates tables.
 */
package dev.llada.registry;

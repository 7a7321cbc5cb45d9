/**
 * The deployable platform (ARCHITECTURE: {@code platform-api}), layered as cargotracker is: {@code
 * application} (use cases and the typed exceptions they raise), {@code infrastructure} (database
 * bootstrap, health, adapters), {@code interfaces} (JAX-RS resources and DTOs under {@code /v1},
 * servlet-level error handling). Resources call the registry's ports, never JPA directly.
 */
package dev.llada.platform;

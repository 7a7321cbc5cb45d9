/** Adapters to the technology: the database bootstrap and the health checks. */
package dev.llada.platform.infrastructure;

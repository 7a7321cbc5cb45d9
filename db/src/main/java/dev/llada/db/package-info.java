/**
 * Database bootstrap shared by the platform, the launcher and the tests: settings from the
 * environment, reachability checks with readable reasons, Flyway migrations (the single source of
 * the schema, under {@code db/migration}), and the embedded PostgreSQL used when no database is
 * configured.
 */
package dev.llada.db;

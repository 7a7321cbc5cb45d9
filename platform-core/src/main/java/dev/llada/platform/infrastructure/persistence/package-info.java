/**
 * One adapter per table group, each the only writer of its tables (TableOwnershipTest), in the
 * caller's JTA transaction on the one datasource ({@link PlatformDataSource}).
 */
package dev.llada.platform.infrastructure.persistence;

/** The WAR's start-up: it defines the datasource, migrates the schema, then registers the zoo. */
package dev.llada.platform.infrastructure.startup;

/** Inbound adapters: the REST API and servlet-level handling. */
package dev.llada.platform.interfaces;

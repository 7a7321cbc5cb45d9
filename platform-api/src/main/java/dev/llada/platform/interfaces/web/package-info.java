/** Servlet-level handlers for what never reaches JAX-RS. */
package dev.llada.platform.interfaces.web;

/** The registry's use cases ({@link dev.llada.registry.application.ModelRegistry}). */
package dev.llada.registry.application;

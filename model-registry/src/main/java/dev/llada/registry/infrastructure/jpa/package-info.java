/** JPA (Hibernate) implementations of the registry ports. */
package dev.llada.registry.infrastructure.jpa;

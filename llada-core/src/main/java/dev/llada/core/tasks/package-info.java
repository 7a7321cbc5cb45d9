/**
 * The synthetic task suite: deterministic, seeded generators of checkable tasks with short
 * EOS-terminated answers, split into train and test by a hash of the question so that no test item
 * is ever trained on. Each item exists as plain text (pre-training), as a chat turn (SFT) and in a
 * multiple-choice form (likelihood evaluation).
 */
package dev.llada.core.tasks;

/** The in-process inference worker, produced for CDI until remote workers exist. */
package dev.llada.platform.infrastructure.worker;

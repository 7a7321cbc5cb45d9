/**
 * The serving runtime (ARCHITECTURE: {@code inference-worker}). Today: the {@link
 * dev.llada.worker.WorkerPool} port the platform dispatches through, and {@link
 * dev.llada.worker.LocalWorkerPool}, the in-process worker (one dedicated inference thread,
 * resident models keyed by content digest, cooperative cancellation between denoising steps).
 * Device pools, continuous batching, fair queues and remote workers come with the worker issue
 * behind the same port.
 */
package dev.llada.worker;

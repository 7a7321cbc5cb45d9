/**
 * The serving runtime (ARCHITECTURE: {@code inference-worker}), to come with the worker issue:
 * device pools (GPU or CPU slots), model placement with memory admission, step-level continuous
 * batching across requests, per-tenant fair queues, deadlines, cancellation, and worker
 * registration and heartbeat. It runs embedded in the platform or as a standalone process, and
 * reaches the model only through {@code llada-core}'s small interfaces.
 */
package dev.llada.worker;

/**
 * The administration console (ARCHITECTURE: {@code admin-web}), a web fragment served under {@code
 * /console/}. Today it ships one static status page that reads the public API; the Jakarta Faces +
 * PrimeFaces console (tenants, quotas, keys, models, job history, usage and loss charts, GPU pool
 * view, playground) will live in this package and call {@code platform-api}'s application services,
 * never the database or a worker directly.
 */
package dev.llada.console;

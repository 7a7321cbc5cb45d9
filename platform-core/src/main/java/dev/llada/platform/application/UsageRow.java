package dev.llada.platform.application;

import java.time.LocalDate;

/** One line of a usage report: a tenant's use of one model through one key on one UTC day. */
public record UsageRow(
    LocalDate day,
    String tenant,
    String model,
    String keyPrefix,
    long requests,
    long promptTokens,
    long completionTokens,
    long computeUnits,
    long failed) {}

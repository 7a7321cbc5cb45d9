package dev.llada.platform.infrastructure.persistence;

import dev.llada.platform.domain.Limits;
import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;

/**
 * The four limit columns a tenant and an API key both have (V2): requests and concurrency as 32-bit
 * integers, tokens and compute units as 64-bit; null is no limit. {@link Limits} has checked the
 * ranges, so narrowing to an integer never loses a value.
 */
@Embeddable
public class LimitColumns {

  @Column(name = "requests_per_minute")
  private Integer requestsPerMinute;

  @Column(name = "tokens_per_day")
  private Long tokensPerDay;

  @Column(name = "compute_units_per_month")
  private Long computeUnitsPerMonth;

  @Column(name = "max_concurrent")
  private Integer maxConcurrent;

  protected LimitColumns() {}

  LimitColumns(Limits l) {
    requestsPerMinute = l.requestsPerMinute() == null ? null : l.requestsPerMinute().intValue();
    tokensPerDay = l.tokensPerDay();
    computeUnitsPerMonth = l.computeUnitsPerMonth();
    maxConcurrent = l.maxConcurrent() == null ? null : l.maxConcurrent().intValue();
  }

  Limits limits() {
    return new Limits(
        requestsPerMinute == null ? null : requestsPerMinute.longValue(),
        tokensPerDay,
        computeUnitsPerMonth,
        maxConcurrent == null ? null : maxConcurrent.longValue());
  }
}

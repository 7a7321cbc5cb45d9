package dev.llada.platform.application;

import dev.llada.platform.domain.Caller;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Do-nothing ports for tests of one application service: each test overrides the methods it
 * watches. Reservations are refused loudly, since no such test admits requests itself.
 */
final class Stubs {

  private Stubs() {}

  static class Ledger implements QuotaLedger {
    @Override
    public Reservation reserve(
        UUID requestId,
        Caller caller,
        String model,
        String endpoint,
        int promptTokens,
        int maxCompletionTokens,
        long computeUnits,
        java.time.Duration lease) {
      throw new UnsupportedOperationException("this test admits nothing");
    }

    @Override
    public boolean settle(Reservation r, Outcome outcome, int tokens, long units) {
      return true;
    }

    @Override
    public void progress(java.util.Collection<Progress> known) {}

    @Override
    public int expire(UUID tenantId, int limit) {
      return 0;
    }

    @Override
    public Leases leases() {
      return new Leases(0, 0);
    }

    @Override
    public List<Drift> drift(UUID tenantId) {
      return List.of();
    }

    @Override
    public List<Drift> reconcile(UUID tenantId) {
      return List.of();
    }

    @Override
    public int purgeCounterWindows() {
      return 0;
    }

    @Override
    public List<UsageRow> usage(UUID tenantId, LocalDate from, LocalDate to) {
      return List.of();
    }
  }

  static class Log implements RequestLog {
    @Override
    public void record(
        UUID requestId,
        Caller caller,
        String method,
        String path,
        String model,
        int status,
        String errorCode,
        int promptTokens,
        int completionTokens,
        long computeUnits,
        long latencyMillis,
        String requestBody,
        String responseBody) {}

    @Override
    public void complete(
        UUID requestId, int status, int completionTokens, long computeUnits, long latencyMillis) {}

    @Override
    public int purgeOlderThan(int days) {
      return 0;
    }

    @Override
    public int purgeTenant(UUID tenantId) {
      return 0;
    }
  }

  static class Idempotency implements IdempotencyStore {
    @Override
    public Optional<Kept> claim(
        String owner, UUID tenantId, String key, String requestHash, java.time.Duration hold) {
      throw new UnsupportedOperationException("this test keeps no responses");
    }

    @Override
    public void complete(String owner, String key, int status, String body) {}

    @Override
    public void release(String owner, String key) {}

    @Override
    public int purgeExpired() {
      return 0;
    }

    @Override
    public int purgeTenant(UUID tenantId) {
      return 0;
    }
  }
}

package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.ServiceUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * When a batch request's refusal gives its item back to run again (BatchRequests#retryAfter): a
 * busy or stopping platform says when; a platform fault is tried a few times; a timeout and a
 * client error are the request's answer at once.
 */
class BatchRetryTest {

  @Test
  void refusalsALaterAttemptMayNotMeetAreRetriedAndFinalOnesAreNot() {
    assertEquals(
        1,
        BatchRequests.retryAfter(
            new ServiceUnavailableException("worker_unavailable", "lost", 1), 1, true));
    assertEquals(
        7,
        BatchRequests.retryAfter(
            new ServiceUnavailableException("platform_busy", "full", 7), 9, true));
    // a platform fault without a Retry-After: tried ATTEMPTS times, waiting longer each time
    assertEquals(5, BatchRequests.retryAfter(new IllegalStateException("bug"), 1, true));
    assertEquals(10, BatchRequests.retryAfter(new IllegalStateException("bug"), 2, true));
    assertEquals(
        0,
        BatchRequests.retryAfter(new IllegalStateException("bug"), BatchRequests.ATTEMPTS, true));
    // a timeout before any step ran (a long queue) is tried again
    assertEquals(
        5,
        BatchRequests.retryAfter(new ServiceUnavailableException("timeout", "deadline"), 1, false));
    // it ran to its deadline: it would again; what ran is charged and the 503 is its answer
    assertEquals(
        0,
        BatchRequests.retryAfter(new ServiceUnavailableException("timeout", "deadline"), 1, true));
    assertEquals(
        0,
        BatchRequests.retryAfter(new InvalidRequestException("model", "no such model"), 1, true));
    assertEquals(0, BatchRequests.retryAfter(new jakarta.json.JsonException("bad"), 1, true));
  }
}

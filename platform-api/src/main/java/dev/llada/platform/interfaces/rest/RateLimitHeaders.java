package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.RateLimitStatus;
import jakarta.ws.rs.core.Response;

/** OpenAI's {@code x-ratelimit-*} headers; a limit that is not set is left out. */
final class RateLimitHeaders {

  private RateLimitHeaders() {}

  static Response.ResponseBuilder apply(Response.ResponseBuilder r, RateLimitStatus s) {
    if (s == null) {
      return r;
    }
    if (s.requestLimit() >= 0) {
      r.header("x-ratelimit-limit-requests", s.requestLimit())
          .header("x-ratelimit-remaining-requests", s.requestRemaining())
          .header("x-ratelimit-reset-requests", s.requestResetSeconds() + "s");
    }
    if (s.tokenLimit() >= 0) {
      r.header("x-ratelimit-limit-tokens", s.tokenLimit())
          .header("x-ratelimit-remaining-tokens", s.tokenRemaining())
          .header("x-ratelimit-reset-tokens", s.tokenResetSeconds() + "s");
    }
    return r;
  }
}

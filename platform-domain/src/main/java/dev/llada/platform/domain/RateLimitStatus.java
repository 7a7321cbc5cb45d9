package dev.llada.platform.domain;

/**
 * What the {@code x-ratelimit-*} headers say after a request was admitted or refused (OpenAI's
 * header names). A limit of -1 means none is set; then the headers are left out.
 *
 * @param requestLimit requests per minute
 * @param requestRemaining requests left in the current minute
 * @param requestResetSeconds seconds until the minute window resets
 * @param tokenLimit generated tokens per day
 * @param tokenRemaining tokens left today
 * @param tokenResetSeconds seconds until the day window resets
 */
public record RateLimitStatus(
    long requestLimit,
    long requestRemaining,
    long requestResetSeconds,
    long tokenLimit,
    long tokenRemaining,
    long tokenResetSeconds) {

  public static final RateLimitStatus NONE = new RateLimitStatus(-1, -1, 0, -1, -1, 0);
}

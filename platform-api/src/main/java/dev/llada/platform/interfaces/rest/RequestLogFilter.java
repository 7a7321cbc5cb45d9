package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.RequestLog;
import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.ext.Provider;

/**
 * Gives every response of the API an {@code x-request-id} and records every request that reaches
 * the API in the request log. What the edge refuses first ({@code EdgeFilter}: methods, sizes,
 * encodings, bodies over their cap) never gets here and is not logged: it has no caller yet.
 */
@Provider
@PreMatching
@Priority(Priorities.AUTHENTICATION - 100)
public class RequestLogFilter implements ContainerRequestFilter, ContainerResponseFilter {

  private static final String START = "llada.start";

  @Inject RequestContext context;
  @Inject RequestLog log;

  /** Ids a client may choose: printable ASCII without spaces, as OpenAI takes them (≤ 512). */
  private static final java.util.regex.Pattern CLIENT_ID =
      java.util.regex.Pattern.compile("[\\x21-\\x7e]{1,512}");

  /**
   * The request's context, taken in the request phase: response filters of an answer given
   * asynchronously run on a thread without the request scope, so they read it from here.
   */
  static RequestContext context(ContainerRequestContext request, RequestContext fallback) {
    return request.getProperty(CONTEXT) instanceof RequestContext c ? c : fallback;
  }

  private static final String CONTEXT = RequestContext.class.getName();

  @Override
  public void filter(ContainerRequestContext request) {
    request.setProperty(START, System.nanoTime());
    request.setProperty(CONTEXT, context.detach().context());
    String clientId = request.getHeaderString("X-Client-Request-Id");
    if (clientId == null) {
      clientId = request.getHeaderString("X-Request-Id"); // the same, as ARCHITECTURE.md names it
    }
    if (clientId != null) {
      if (!CLIENT_ID.matcher(clientId).matches()) {
        throw new dev.llada.platform.domain.InvalidRequestException(
            "invalid_request_id",
            "X-Client-Request-Id",
            "X-Client-Request-Id (or X-Request-Id) must be 1 to 512 printable ASCII characters"
                + " without spaces.");
      }
      context.clientRequestId(clientId);
    }
    String timeout = request.getHeaderString("X-Request-Timeout");
    if (timeout != null) {
      context.requestTimeout(timeout(timeout));
    }
  }

  /** {@code X-Request-Timeout}: seconds, a decimal number (the deadline, queue time included). */
  private static java.time.Duration timeout(String header) {
    try {
      double seconds = Double.parseDouble(header.trim());
      if (seconds > 0 && seconds <= 86_400) {
        return java.time.Duration.ofMillis(Math.max(1, Math.round(seconds * 1000)));
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new dev.llada.platform.domain.InvalidRequestException(
        "invalid_request_timeout",
        "X-Request-Timeout",
        "X-Request-Timeout must be a number of seconds greater than 0, got '" + header + "'.");
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    RequestContext context = context(request, this.context);
    response.getHeaders().putSingle("x-request-id", context.requestId().toString());
    if (context.clientRequestId() != null) {
      response.getHeaders().putSingle("x-client-request-id", context.clientRequestId());
    }
    Object start = request.getProperty(START);
    long millis = start instanceof Long s ? (System.nanoTime() - s) / 1_000_000 : 0;
    String errorCode = response.getEntity() instanceof ErrorEnvelope e ? e.error().code() : null;
    log.record(
        context.requestId(),
        context.callerOrNull(),
        request.getMethod(),
        "/v1/" + request.getUriInfo().getPath(false).replaceFirst("^/", ""),
        context.model(),
        response.getStatus(),
        errorCode,
        context.promptTokens(),
        context.completionTokens(),
        context.computeUnits(),
        millis,
        context.requestBody(),
        context.responseBody());
  }
}

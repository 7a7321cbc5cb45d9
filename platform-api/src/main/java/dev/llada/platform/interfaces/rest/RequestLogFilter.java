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

  @Override
  public void filter(ContainerRequestContext request) {
    request.setProperty(START, System.nanoTime());
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response) {
    response.getHeaders().putSingle("x-request-id", context.requestId().toString());
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

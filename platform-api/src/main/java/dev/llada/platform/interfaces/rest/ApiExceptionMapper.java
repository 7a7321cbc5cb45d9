package dev.llada.platform.interfaces.rest;

import dev.llada.platform.domain.DatabaseFailures;
import dev.llada.platform.domain.PlatformException;
import dev.llada.platform.domain.QuotaExceededException;
import dev.llada.platform.domain.ServiceUnavailableException;
import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.json.bind.JsonbException;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.sql.SQLException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where failures become HTTP: typed platform exceptions keep their status and code,
 * JAX-RS and validation errors become 4xx, anything else a 500 whose body says nothing about the
 * internals (the stack trace goes to the server log only).
 */
@Provider
public class ApiExceptionMapper implements ExceptionMapper<Throwable> {

  private static final Logger LOG = Logger.getLogger(ApiExceptionMapper.class.getName());

  @Context UriInfo uriInfo;
  @Context Request request;

  @Override
  public Response toResponse(Throwable failure) {
    return respond(failure, request, uriInfo);
  }

  /** The response for {@code failure} during {@code request}. */
  static Response respond(Throwable thrown, Request request, UriInfo uriInfo) {
    Throwable failure = thrown;
    for (Throwable t = thrown; t != null; t = t.getCause()) {
      if (t instanceof PlatformException) {
        failure = t; // a provider's refusal, wrapped by the container on its way out
        break;
      }
    }
    if (!(failure instanceof PlatformException)) {
      // a JPA adapter's database failure, by SQLSTATE as the JDBC adapters answer it
      Optional<SQLException> database = DatabaseFailures.cause(failure);
      if (database.isPresent()) {
        failure = DatabaseFailures.refusal(database.get());
      }
    }
    if (failure instanceof QuotaExceededException e) {
      return RateLimitHeaders.apply(
              Response.status(429)
                  .type(MediaType.APPLICATION_JSON_TYPE)
                  .entity(ErrorEnvelope.of(429, e.code(), e.param(), e.getMessage()))
                  .header("Retry-After", e.retryAfterSeconds()),
              e.limits())
          .build();
    }
    if (failure instanceof ServiceUnavailableException e && e.retryAfterSeconds() > 0) {
      return Response.status(503)
          .type(MediaType.APPLICATION_JSON_TYPE)
          .entity(ErrorEnvelope.of(503, e.code(), e.param(), e.getMessage()))
          .header("Retry-After", e.retryAfterSeconds())
          .build();
    }
    if (failure instanceof PlatformException e) {
      return envelope(e.status(), e.code(), e.param(), e.getMessage());
    }
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof dev.llada.platform.interfaces.web.BodyTooLargeException e) {
        // an upload past its cap, surfaced through whatever read it; the rest is left unread
        return Response.status(413)
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(ErrorEnvelope.of(413, "request_too_large", null, e.getMessage()))
            .header("Connection", "close")
            .build();
      }
      if (t instanceof java.io.IOException
          && t.getClass().getName().endsWith("CappedRequest$TooManyPartsException")) {
        return Response.status(400)
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(ErrorEnvelope.of(400, "invalid_multipart", null, t.getMessage()))
            .header("Connection", "close")
            .build();
      }
      if (t.getClass().getName().endsWith("MIMEParsingException")) { // Jersey's multipart reader
        return envelope(
            400, "invalid_multipart", null, "The request body is not valid multipart/form-data.");
      }
      if (t instanceof jakarta.json.JsonException) {
        return envelope(400, "invalid_json", null, "The request body is not valid JSON.");
      }
    }
    if (failure instanceof ConstraintViolationException e) {
      ConstraintViolation<?> first = e.getConstraintViolations().stream().findFirst().orElse(null);
      String param = first == null ? null : lastNode(first.getPropertyPath().toString());
      String message = first == null ? "Invalid request." : param + ": " + first.getMessage();
      return envelope(400, "invalid_request", param, message);
    }
    if (failure instanceof JsonbException) {
      return envelope(400, "invalid_json", null, "The request body is not valid JSON.");
    }
    if (failure instanceof WebApplicationException e) {
      int status = e.getResponse().getStatus();
      return switch (status) {
        case 404 -> respond(404, ErrorEnvelope.notFound(describeRequest(request, uriInfo)));
        case 405 -> respond(405, ErrorEnvelope.methodNotAllowed(describeRequest(request, uriInfo)));
        case 406 ->
            envelope(406, "not_acceptable", null, "This endpoint produces application/json.");
        case 415 ->
            envelope(
                415,
                "unsupported_media_type",
                null,
                uploads(uriInfo)
                    ? "Send the upload as multipart/form-data with the parts file and purpose."
                    : "Send the request body as application/json.");
        default ->
            status >= 500
                ? internalError(failure, request, uriInfo)
                : envelope(status, "invalid_request", null, reason(e));
      };
    }
    return internalError(failure, request, uriInfo);
  }

  private static Response internalError(Throwable failure, Request request, UriInfo uriInfo) {
    LOG.log(Level.SEVERE, "unhandled failure on " + describeRequest(request, uriInfo), failure);
    return respond(500, ErrorEnvelope.internalError(500));
  }

  private static boolean uploads(UriInfo uriInfo) {
    try {
      return uriInfo.getPath(false).replaceFirst("^/", "").equals("files");
    } catch (RuntimeException outsideRequest) {
      return false;
    }
  }

  private static String describeRequest(Request request, UriInfo uriInfo) {
    try {
      return request.getMethod() + " /" + uriInfo.getPath(false).replaceFirst("^/", "");
    } catch (RuntimeException outsideRequest) {
      return "unknown request";
    }
  }

  private static String reason(WebApplicationException e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? "Invalid request." : message;
  }

  private static String lastNode(String path) {
    int dot = path.lastIndexOf('.');
    return dot < 0 ? path : path.substring(dot + 1);
  }

  private static Response envelope(int status, String code, String param, String message) {
    return respond(status, ErrorEnvelope.of(status, code, param, message));
  }

  private static Response respond(int status, ErrorEnvelope body) {
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(body).build();
  }
}

package dev.llada.platform.interfaces.rest;

import jakarta.validation.ConstraintViolationException;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/**
 * Bean Validation failures. Jersey ships its own mapper for {@code ValidationException} (an empty
 * 400), which is closer to the exception type than our catch-all; this one is closer still and
 * hands over to {@link ApiExceptionMapper}, the one place that decides the response.
 */
@Provider
public class ConstraintViolationMapper implements ExceptionMapper<ConstraintViolationException> {

  @Context UriInfo uriInfo;
  @Context Request request;

  @Override
  public Response toResponse(ConstraintViolationException failure) {
    return ApiExceptionMapper.respond(failure, request, uriInfo);
  }
}

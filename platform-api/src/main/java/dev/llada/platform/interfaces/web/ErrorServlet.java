package dev.llada.platform.interfaces.web;

import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The WAR's error page ({@code web.xml}): requests JAX-RS never saw (a path outside {@code /v1}, a
 * missing static file, a container failure) get the same OpenAI error envelope as the API.
 */
@WebServlet(name = "error", urlPatterns = "/error")
public class ErrorServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Object statusAttribute = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
    int status = statusAttribute instanceof Integer code ? code : 404;
    Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
    String path = uri == null ? request.getRequestURI() : uri.toString();
    String described = EdgeFilter.printable(request.getMethod()) + " " + EdgeFilter.printable(path);
    ErrorEnvelope body =
        switch (status) {
          case 404 -> ErrorEnvelope.notFound(described);
          case 405, 501 -> ErrorEnvelope.methodNotAllowed(described);
          case 413 ->
              ErrorEnvelope.of(413, "request_too_large", null, "The request body is too large.");
          case 414 -> ErrorEnvelope.of(414, "uri_too_long", null, "The request URI is too long.");
          case 431 ->
              ErrorEnvelope.of(
                  431, "headers_too_large", null, "The request headers are too large.");
          default ->
              status >= 500
                  ? ErrorEnvelope.internalError(status)
                  : ErrorEnvelope.of(
                      status, "invalid_request", null, "Invalid request (" + described + ")");
        };
    EdgeFilter.write(response, status == 501 ? 405 : status, body);
  }
}

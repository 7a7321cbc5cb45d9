package dev.llada.platform.interfaces.web;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.annotation.WebFilter;
import java.io.IOException;

/**
 * Keeps the container's own request object as a request attribute, so that a streaming response can
 * inspect its connection (JAX-RS injects only a proxy).
 */
@WebFilter(urlPatterns = "/v1/*", asyncSupported = true)
public class RequestCapture implements Filter {

  /** The attribute holding the container's request object. */
  public static final String ATTRIBUTE = "dev.llada.servletRequest";

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    ServletRequest container = request;
    while (container instanceof ServletRequestWrapper wrapper) { // EdgeFilter's replayed body
      container = wrapper.getRequest();
    }
    request.setAttribute(ATTRIBUTE, container);
    chain.doFilter(request, response);
  }
}

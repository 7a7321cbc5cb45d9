package dev.llada.platform.interfaces.web;

import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import jakarta.inject.Inject;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Set;

/**
 * The platform's edge, in front of everything the WAR serves (declared first in {@code web.xml}):
 * refuses what no endpoint can take before any resource, filter or parser sees it, each refusal in
 * the OpenAI error envelope.
 *
 * <ul>
 *   <li>methods other than {@link #METHODS}: 405 with {@code Allow};
 *   <li>a request line over {@link EdgeLimits#maxUriLength()}: 414; headers over {@link
 *       EdgeLimits#maxHeaderBytes()} or {@link EdgeLimits#maxHeaderCount()}: 431;
 *   <li>a path or query that is not valid percent-encoded UTF-8, or holds a control character: 400
 *       naming the query parameter;
 *   <li>a body on GET, HEAD, DELETE or OPTIONS: 400; a body over {@link EdgeLimits#maxBodyBytes()}:
 *       413, whether it is sized or chunked, as soon as the cap is passed and before anything
 *       parses it. The endpoints that take images ({@link EdgeLimits#IMAGE_ENDPOINTS}) have {@link
 *       EdgeLimits#maxImageBodyBytes()} instead, of which all but {@link EdgeLimits#maxBodyBytes()}
 *       must be the data of image parts ({@link ImageBodies}).
 * </ul>
 *
 * A body that passes is kept in memory (at most the cap) and replayed to the application: every
 * reader downstream (JAX-RS providers, the idempotency filter) reads through this one cap. An
 * upload to {@code POST /v1/files} ({@link EdgeLimits#maxFileBodyBytes()}) is not held: it goes on
 * as a stream that fails past its cap ({@link CappedRequest}), read only after authentication.
 */
public class EdgeFilter implements Filter {

  /** The methods the platform answers; anything else is 405. */
  static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE");

  private static final Set<String> BODYLESS = Set.of("GET", "HEAD", "DELETE", "OPTIONS");

  @Inject EdgeLimits limits;

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest request = (HttpServletRequest) req;
    HttpServletResponse response = (HttpServletResponse) res;
    String method = request.getMethod();
    if (!METHODS.contains(method) && !"OPTIONS".equals(method)) {
      response.setHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
      refuse(
          response,
          405,
          ErrorEnvelope.methodNotAllowed(
              printable(method) + " " + printable(request.getRequestURI())));
      return;
    }
    String uri = request.getRequestURI();
    String query = request.getQueryString();
    int uriLength = uri.length() + (query == null ? 0 : query.length() + 1);
    if (uriLength > limits.maxUriLength()) {
      refuse(
          response,
          414,
          ErrorEnvelope.of(
              414,
              "uri_too_long",
              null,
              "The request URI has "
                  + uriLength
                  + " characters; the limit is "
                  + limits.maxUriLength()
                  + "."));
      return;
    }
    String headers = headerProblem(request);
    if (headers != null) {
      refuse(response, 431, ErrorEnvelope.of(431, "headers_too_large", null, headers));
      return;
    }
    String contentType = request.getHeader("Content-Type");
    if (contentType != null && !ContentTypeCheck.valid(contentType)) {
      refuse(
          response,
          400,
          ErrorEnvelope.of(
              400,
              "invalid_request",
              "Content-Type",
              "The Content-Type header is not a media type (type/subtype; name=value)."));
      return;
    }
    UriCheck.Problem bad = UriCheck.path(uri);
    if (bad == null && query != null) {
      bad = UriCheck.query(query);
    }
    if (bad != null) {
      refuse(response, 400, ErrorEnvelope.of(400, "invalid_request", bad.param(), bad.message()));
      return;
    }
    long declared = request.getContentLengthLong();
    // any Transfer-Encoding means a body: the connector decodes "chunked" in more spellings than
    // one, so the edge never decides from that header that there is none
    boolean framed = declared > 0 || request.getHeader("Transfer-Encoding") != null;
    if (BODYLESS.contains(method)) {
      if (framed) {
        refuse(
            response,
            400,
            ErrorEnvelope.of(
                400, "unexpected_body", null, method + " requests take no request body."));
        return;
      }
      chain.doFilter(request, response);
      return;
    }
    if (EdgeLimits.takesFiles(uri.substring(request.getContextPath().length()))) {
      capped(request, response, chain, declared);
      return;
    }
    long text = limits.maxBodyBytes();
    boolean images = EdgeLimits.takesImages(uri.substring(request.getContextPath().length()));
    long cap = images ? limits.maxImageBodyBytes() : text;
    if (declared > cap) {
      refuse(response, 413, tooLarge(declared + " bytes", cap, images, text));
      return;
    }
    byte[] body;
    try (InputStream in = request.getInputStream()) {
      body = in.readNBytes((int) cap + 1); // returns at once when there is no body
    }
    if (body.length > cap) {
      refuse(response, 413, tooLarge("more than " + cap + " bytes", cap, images, text));
      return;
    }
    if (body.length > text) { // an endpoint that takes images: the rest is held to the text cap
      long data = ImageBodies.imageDataBytes(body);
      if (data < 0 || body.length - data > text) {
        refuse(
            response,
            413,
            ErrorEnvelope.of(
                413,
                "request_too_large",
                null,
                "The request body has "
                    + body.length
                    + " bytes, "
                    + Math.max(0, data)
                    + " of them image data; this endpoint takes up to "
                    + cap
                    + " bytes with images, but at most "
                    + text
                    + " bytes besides the images' data."));
        return;
      }
    }
    chain.doFilter(new ReplayedRequest(request, body), response);
  }

  /**
   * An upload: its declared size and its multipart boundary checked at once (a boundary outside RFC
   * 2046's 1 to 70 characters is refused before anything reads the body), then passed on as a
   * stream that fails with {@link BodyTooLargeException} past the cap. Nothing is buffered or
   * spooled here, before the caller is authenticated: the parts are read (and spooled by the
   * multipart reader) only once the request has reached its resource.
   */
  private void capped(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain, long declared)
      throws IOException, ServletException {
    long cap = limits.maxFileBodyBytes();
    if (declared > cap) {
      refuse(response, 413, tooLarge(declared + " bytes", cap, false, cap));
      return;
    }
    String type = request.getContentType();
    if (type != null
        && type.strip().toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")
        && !UploadDigest.validBoundary(UploadDigest.boundary(type))) {
      refuse(
          response,
          400,
          ErrorEnvelope.of(
              400,
              "invalid_multipart",
              null,
              "The multipart boundary must be 1 to 70 characters of RFC 2046's set."));
      return;
    }
    String boundary =
        type != null && type.strip().toLowerCase(java.util.Locale.ROOT).startsWith("multipart/")
            ? UploadDigest.boundary(type)
            : null;
    chain.doFilter(new CappedRequest(request, cap, boundary), response);
  }

  private String headerProblem(HttpServletRequest request) {
    int count = 0;
    long bytes = 0;
    for (String name : Collections.list(request.getHeaderNames())) {
      for (String value : Collections.list(request.getHeaders(name))) {
        count++;
        bytes += name.length() + value.length() + 4; // "name: value\r\n"
      }
    }
    if (count > limits.maxHeaderCount()) {
      return "The request has "
          + count
          + " header fields; the limit is "
          + limits.maxHeaderCount()
          + ".";
    }
    if (bytes > limits.maxHeaderBytes()) {
      return "The request headers have "
          + bytes
          + " bytes; the limit is "
          + limits.maxHeaderBytes()
          + ".";
    }
    return null;
  }

  private static ErrorEnvelope tooLarge(String size, long cap, boolean images, long text) {
    return ErrorEnvelope.of(
        413,
        "request_too_large",
        null,
        "The request body has "
            + size
            + "; the limit for this endpoint is "
            + cap
            + " bytes"
            + (images && cap > text ? " with images (" + text + " without)." : "."));
  }

  /**
   * Writes the envelope and closes the connection after it: a refused request may have left body
   * bytes unread, which must never be taken for the next request.
   */
  private static void refuse(HttpServletResponse response, int status, ErrorEnvelope body)
      throws IOException {
    response.setHeader("Connection", "close");
    write(response, status, body);
  }

  /** Writes {@code body} as the response, with {@code status}: the servlet layer's envelope. */
  static void write(HttpServletResponse response, int status, ErrorEnvelope body)
      throws IOException {
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding(StandardCharsets.UTF_8.name());
    response.getWriter().write(body.toJson());
  }

  /** A method or path as it may be shown back in a message: printable ASCII, at most 200. */
  static String printable(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length() && out.length() < 200; i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return out.toString();
  }
}

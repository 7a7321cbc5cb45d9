package dev.llada.platform.interfaces.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The edge's caps, from MicroProfile Config (system properties or {@code LLADA_HTTP_*} variables).
 * Payara's own HTTP parser is set above them ({@code preboot.asadmin}: 64 KiB of request head,
 * 1,000 header fields) so that these, not the container, answer first and in the envelope.
 */
@ApplicationScoped
public class EdgeLimits {

  @Inject
  @ConfigProperty(name = "llada.http.max-body-bytes", defaultValue = "1048576")
  long maxBodyBytes;

  @Inject
  @ConfigProperty(name = "llada.http.max-uri-length", defaultValue = "8192")
  int maxUriLength;

  @Inject
  @ConfigProperty(name = "llada.http.max-header-bytes", defaultValue = "16384")
  long maxHeaderBytes;

  @Inject
  @ConfigProperty(name = "llada.http.max-header-count", defaultValue = "100")
  int maxHeaderCount;

  /** Largest request body of the text endpoints (every endpoint today), sized or chunked. */
  public long maxBodyBytes() {
    return Math.min(maxBodyBytes, Integer.MAX_VALUE - 8);
  }

  /** Longest request URI, path and query together. */
  public int maxUriLength() {
    return maxUriLength;
  }

  /** Largest sum of header field sizes ({@code name: value\r\n}). */
  public long maxHeaderBytes() {
    return maxHeaderBytes;
  }

  /** Most header fields. */
  public int maxHeaderCount() {
    return maxHeaderCount;
  }
}

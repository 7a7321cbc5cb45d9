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

  /**
   * The cap of the endpoints that take images ({@link #IMAGE_ENDPOINTS}), of which at most {@link
   * #maxBodyBytes()} may be other than the images' data (ARCHITECTURE.md, "Body caps per
   * endpoint").
   */
  @Inject
  @ConfigProperty(name = "llada.http.max-image-body-bytes", defaultValue = "20971520")
  long maxImageBodyBytes;

  /** The largest file {@code POST /v1/files} takes (the application checks it again). */
  @Inject
  @ConfigProperty(name = "llada.files.max-bytes", defaultValue = "536870912")
  long maxFileBytes;

  /** What a multipart upload may carry beside the file: the boundaries, part headers, purpose. */
  public static final long MULTIPART_OVERHEAD_BYTES = 64 * 1024;

  @Inject
  @ConfigProperty(name = "llada.http.max-uri-length", defaultValue = "8192")
  int maxUriLength;

  @Inject
  @ConfigProperty(name = "llada.http.max-header-bytes", defaultValue = "16384")
  long maxHeaderBytes;

  @Inject
  @ConfigProperty(name = "llada.http.max-header-count", defaultValue = "100")
  int maxHeaderCount;

  /** The endpoints whose bodies may carry images ({@code image_url} parts of chat messages). */
  public static final java.util.Set<String> IMAGE_ENDPOINTS =
      java.util.Set.of("/v1/chat/completions", "/v1/diffusion/generate");

  /** Largest request body of the text endpoints (all but {@link #IMAGE_ENDPOINTS}). */
  public long maxBodyBytes() {
    return Math.min(maxBodyBytes, Integer.MAX_VALUE - 8);
  }

  /**
   * Largest request body of an endpoint that takes images, images included (never below {@link
   * #maxBodyBytes()}); the rest of such a body is held to {@link #maxBodyBytes()}.
   */
  public long maxImageBodyBytes() {
    return Math.max(maxBodyBytes(), Math.min(maxImageBodyBytes, Integer.MAX_VALUE - 8));
  }

  /** The endpoint that takes uploads, spooled to disk rather than held in memory. */
  public static final String FILE_ENDPOINT = "/v1/files";

  /** Whether {@code path} ({@code /v1/...}) is the upload endpoint. */
  public static boolean takesFiles(String path) {
    return FILE_ENDPOINT.equals(canonical(path));
  }

  /** The path without matrix parameters ({@code ;x=1}, which JAX-RS ignores) or a final slash. */
  static String canonical(String path) {
    String p = path.replaceAll(";[^/]*", "");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  /** The cap of an upload's body: the largest file and its multipart framing. */
  public long maxFileBodyBytes() {
    return Math.max(0, maxFileBytes) + MULTIPART_OVERHEAD_BYTES;
  }

  /** Whether {@code path} (from the application's root: {@code /v1/...}) may carry images. */
  public static boolean takesImages(String path) {
    return IMAGE_ENDPOINTS.contains(canonical(path));
  }

  /** The cap of the body of a request to {@code path} ({@code /v1/...}), images included. */
  public long maxBodyBytes(String path) {
    return takesFiles(path)
        ? maxFileBodyBytes()
        : takesImages(path) ? maxImageBodyBytes() : maxBodyBytes();
  }

  /** The largest cap of any endpoint. */
  public long largestBodyBytes() {
    return maxImageBodyBytes();
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

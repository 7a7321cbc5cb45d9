package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.IdempotencyStore;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.ConflictException;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.platform.domain.UnprocessableException;
import dev.llada.platform.interfaces.web.EdgeLimits;
import dev.llada.platform.interfaces.web.UploadDigest;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.json.JsonStructure;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import jakarta.ws.rs.ext.Provider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code Idempotency-Key} on every POST, a tenant's and the administration API's: the first request
 * runs and its final response (2xx, or a 4xx other than 409 and 429) is kept for 24 h; a retry with
 * the same key and the same body gets that response again ({@code Idempotent-Replayed: true})
 * without running or costing anything; the same key with another body is refused (422), and so is a
 * retry while the first is still running (409). A conflict, a rate limit or a server error is not
 * final: the key is freed and a retry runs. A first request that died (the process killed) holds
 * its key only until its deadline could have passed. Streamed responses are not kept.
 */
@Provider
@Priority(Priorities.AUTHORIZATION)
public class IdempotencyFilter implements ContainerRequestFilter, ContainerResponseFilter {

  private static final String CLAIMED = "llada.idempotency.key";

  /** The temporary file an idempotent upload was spooled to, deleted with the response. */
  private static final String SPOOL = "llada.idempotency.spool";

  @Inject RequestContext context;
  @Inject IdempotencyStore store;
  @Inject EdgeLimits limits;

  @Inject
  @ConfigProperty(name = "llada.request.timeout-seconds", defaultValue = "300")
  long timeoutSeconds;

  /** How long a claim holds: no request outlives twice its deadline (reservation leases, too). */
  private Duration hold() {
    return Duration.ofSeconds(Math.max(60, 2 * timeoutSeconds));
  }

  @Override
  public void filter(ContainerRequestContext request) throws IOException {
    String key = request.getHeaderString("Idempotency-Key");
    if (key == null || !"POST".equals(request.getMethod())) {
      return;
    }
    Caller caller = context.caller();
    if (key.isBlank() || key.length() > 255) {
      throw new InvalidRequestException(
          "Idempotency-Key", "Idempotency-Key must be 1-255 characters.");
    }
    String path = request.getUriInfo().getPath(false);
    String hash;
    if (EdgeLimits.takesFiles("/v1/" + (path.startsWith("/") ? path.substring(1) : path))) {
      hash = sha256(path + "\n" + spoolUpload(request));
    } else {
      long cap = limits.maxBodyBytes("/v1/" + (path.startsWith("/") ? path.substring(1) : path));
      byte[] body = request.getEntityStream().readNBytes((int) cap + 1);
      if (body.length > cap) {
        throw new PayloadTooLargeException(cap);
      }
      request.setEntityStream(new ByteArrayInputStream(body));
      hash = sha256(path + "\n" + new String(body, StandardCharsets.UTF_8));
    }
    String owner = IdempotencyStore.owner(caller.tenantId(), caller.keyPrefix());
    Optional<IdempotencyStore.Kept> kept = store.claim(owner, caller.tenantId(), key, hash, hold());
    if (kept.isEmpty()) {
      request.setProperty(CLAIMED, key);
      return;
    }
    IdempotencyStore.Kept k = kept.get();
    if (!k.requestHash().equals(hash)) {
      throw new UnprocessableException(
          "idempotency_key_reused",
          "Idempotency-Key",
          "This Idempotency-Key was used with a different request.");
    }
    if (k.status() == 0) {
      throw new ConflictException(
          "idempotency_key_in_use",
          "Idempotency-Key",
          "A request with this Idempotency-Key is still running.");
    }
    request.abortWith(
        Response.status(k.status())
            .type(MediaType.APPLICATION_JSON_TYPE)
            .entity(k.body())
            .header("Idempotent-Replayed", "true")
            .build());
  }

  /**
   * An upload with an Idempotency-Key, now that its caller is authenticated: spooled to a temporary
   * file (through the edge's cap), replayed from there to the resource, deleted with the response;
   * its digest is of the parts, not of the random multipart boundary ({@link UploadDigest}).
   */
  private static String spoolUpload(ContainerRequestContext request) throws IOException {
    java.nio.file.Path spool = java.nio.file.Files.createTempFile("llada-upload-", ".part");
    request.setProperty(SPOOL, spool);
    try (var in = request.getEntityStream()) {
      java.nio.file.Files.copy(in, spool, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    request.setEntityStream(java.nio.file.Files.newInputStream(spool));
    return UploadDigest.of(spool, UploadDigest.boundary(request.getHeaderString("Content-Type")));
  }

  @Override
  public void filter(ContainerRequestContext request, ContainerResponseContext response)
      throws IOException {
    if (request.getProperty(SPOOL) instanceof java.nio.file.Path spool) {
      java.nio.file.Files.deleteIfExists(spool);
    }
    if (!(request.getProperty(CLAIMED) instanceof String key)) {
      return;
    }
    Caller caller = RequestLogFilter.context(request, context).callerOrNull();
    if (caller == null) {
      return;
    }
    String owner = IdempotencyStore.owner(caller.tenantId(), caller.keyPrefix());
    Object entity = response.getEntity();
    if (!isFinal(response.getStatus()) || entity instanceof StreamingOutput) {
      store.release(owner, key);
      return;
    }
    String body =
        entity instanceof JsonStructure json
            ? json.toString()
            : entity instanceof String s ? s : JsonbConfiguration.toJson(entity);
    // a new key's secret is shown once: the kept answer has it redacted, never stored in clear
    String redacted = AuditFilter.redact(body);
    store.complete(owner, key, response.getStatus(), redacted == null ? body : redacted);
  }

  /** An answer a retry must get again: a success, or a refusal that retrying cannot change. */
  static boolean isFinal(int status) {
    return status >= 200 && status < 300
        || status >= 400 && status < 500 && status != 409 && status != 429;
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

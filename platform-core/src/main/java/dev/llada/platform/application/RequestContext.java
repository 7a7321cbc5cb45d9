package dev.llada.platform.application;

import dev.llada.platform.domain.AuthenticationException;
import dev.llada.platform.domain.Caller;
import jakarta.enterprise.context.RequestScoped;
import java.util.UUID;

/** Per HTTP request: its id and, once authenticated, who is calling. */
@RequestScoped
public class RequestContext {

  private final UUID requestId = UUID.randomUUID();
  private String clientRequestId;
  private java.time.Duration requestTimeout;
  private Caller caller;
  private String model;
  private int promptTokens = -1;
  private int completionTokens = -1;
  private long computeUnits = -1;
  private String requestBody;
  private String responseBody;

  /**
   * This request's own instance behind the CDI proxy: what code that runs after the request's
   * thread has let go (an asynchronous answer, its response filters) holds on to, since the request
   * scope is active on that thread only. (It comes in a holder: Weld answers a method that returns
   * {@code this} with the proxy again.)
   */
  public Detached detach() {
    return new Detached(this);
  }

  /** The request's own instance, out of reach of its CDI proxy. */
  public record Detached(RequestContext context) {}

  public UUID requestId() {
    return requestId;
  }

  /** The client's own id of this request ({@code X-Client-Request-Id}), or null. */
  public String clientRequestId() {
    return clientRequestId;
  }

  public void clientRequestId(String id) {
    this.clientRequestId = id;
  }

  /** The request's own deadline ({@code X-Request-Timeout}), or null for the platform's. */
  public java.time.Duration requestTimeout() {
    return requestTimeout;
  }

  public void requestTimeout(java.time.Duration timeout) {
    this.requestTimeout = timeout;
  }

  /** The authenticated caller; 401 when the request carried no valid credentials. */
  public Caller caller() {
    if (caller == null) {
      throw new AuthenticationException(
          "missing_api_key",
          "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'.");
    }
    return caller;
  }

  public Caller callerOrNull() {
    return caller;
  }

  public void authenticated(Caller c) {
    this.caller = c;
  }

  /** What the request log records about usage. */
  public void usage(String model, int promptTokens, int completionTokens, long computeUnits) {
    this.model = model;
    this.promptTokens = promptTokens;
    this.completionTokens = completionTokens;
    this.computeUnits = computeUnits;
  }

  public void model(String model) {
    this.model = model;
  }

  public String model() {
    return model;
  }

  public int promptTokens() {
    return promptTokens;
  }

  public int completionTokens() {
    return completionTokens;
  }

  public long computeUnits() {
    return computeUnits;
  }

  public void bodies(String request, String response) {
    if (request != null) {
      this.requestBody = request;
    }
    if (response != null) {
      this.responseBody = response;
    }
  }

  public String requestBody() {
    return requestBody;
  }

  public String responseBody() {
    return responseBody;
  }
}

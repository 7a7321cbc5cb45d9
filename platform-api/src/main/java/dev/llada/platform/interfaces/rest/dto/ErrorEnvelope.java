package dev.llada.platform.interfaces.rest.dto;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.annotation.JsonbNillable;
import jakarta.json.bind.annotation.JsonbPropertyOrder;

/**
 * OpenAI's error body: {@code {"error": {"message", "type", "param", "code"}}}, with {@code param}
 * and {@code code} present (possibly null) as OpenAI sends them.
 */
public record ErrorEnvelope(ErrorEnvelope.Error error) {

  private static final Jsonb JSONB = JsonbBuilder.create();

  /** The inner object. */
  @JsonbNillable
  @JsonbPropertyOrder({"message", "type", "param", "code"})
  public record Error(String message, String type, String param, String code) {}

  /** An envelope whose {@code type} follows from the HTTP status, as OpenAI's do. */
  public static ErrorEnvelope of(int status, String code, String param, String message) {
    return new ErrorEnvelope(new Error(message, typeFor(status), param, code));
  }

  /** 404 for a path nothing serves; {@code request} is "METHOD /path". */
  public static ErrorEnvelope notFound(String request) {
    return of(404, "not_found", null, "Invalid URL (" + request + ")");
  }

  /** 405 for a method the path does not take. */
  public static ErrorEnvelope methodNotAllowed(String request) {
    return of(405, "method_not_allowed", null, "Method not allowed (" + request + ")");
  }

  /** A 5xx whose body says nothing about the internals. */
  public static ErrorEnvelope internalError(int status) {
    return of(
        status, "internal_error", null, "The server had an error while processing your request.");
  }

  /** OpenAI's error {@code type} for an HTTP status. */
  public static String typeFor(int status) {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 409 -> "conflict_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  /** Serialised form, for writers outside JAX-RS. */
  public String toJson() {
    return JSONB.toJson(this);
  }
}

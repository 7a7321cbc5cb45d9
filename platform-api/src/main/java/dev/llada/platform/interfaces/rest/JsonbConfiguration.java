package dev.llada.platform.interfaces.rest;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.JsonbConfig;
import jakarta.json.bind.config.PropertyNamingStrategy;
import jakarta.ws.rs.ext.ContextResolver;
import jakarta.ws.rs.ext.Provider;

/** JSON as OpenAI writes it: snake_case names, absent (not null) optional fields. */
@Provider
public class JsonbConfiguration implements ContextResolver<Jsonb> {

  static final Jsonb JSONB =
      JsonbBuilder.create(
          new JsonbConfig()
              .withPropertyNamingStrategy(PropertyNamingStrategy.LOWER_CASE_WITH_UNDERSCORES)
              .withNullValues(false));

  @Override
  public Jsonb getContext(Class<?> type) {
    return JSONB;
  }

  /** Serialises outside JAX-RS (SSE chunks, the request log, idempotent replays). */
  public static String toJson(Object value) {
    return JSONB.toJson(value);
  }
}

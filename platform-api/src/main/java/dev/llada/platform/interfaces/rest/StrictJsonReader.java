package dev.llada.platform.interfaces.rest;

import dev.llada.platform.interfaces.web.EdgeLimits;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.ext.MessageBodyReader;
import jakarta.ws.rs.ext.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Type;

/**
 * Reads every {@code JsonObject} entity parameter (all request bodies of the API) through {@link
 * StrictJson}, in place of the container's lenient JSON-P provider (an application provider for the
 * exact type wins over the built-in one for {@code JsonStructure}). The body has already passed the
 * edge's cap for its endpoint; it is read with the largest cap again, so no path around the edge
 * can make it unbounded.
 */
@Provider
@Consumes({MediaType.APPLICATION_JSON, "application/*+json"})
@Priority(Priorities.ENTITY_CODER)
public class StrictJsonReader implements MessageBodyReader<JsonObject> {

  @Inject EdgeLimits limits;

  @Override
  public boolean isReadable(
      Class<?> type, Type genericType, Annotation[] annotations, MediaType mediaType) {
    return type == JsonObject.class;
  }

  @Override
  public JsonObject readFrom(
      Class<JsonObject> type,
      Type genericType,
      Annotation[] annotations,
      MediaType mediaType,
      MultivaluedMap<String, String> httpHeaders,
      InputStream entityStream)
      throws IOException {
    long cap = limits.largestBodyBytes(); // the edge held the body to its endpoint's cap
    byte[] body = entityStream.readNBytes((int) cap + 1);
    if (body.length > cap) {
      throw new PayloadTooLargeException(cap);
    }
    return StrictJson.object(body);
  }
}

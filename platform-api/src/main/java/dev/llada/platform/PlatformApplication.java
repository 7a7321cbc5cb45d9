package dev.llada.platform;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.info.License;

/** The tenant API, OpenAI-compatible, under {@code /v1}. */
@ApplicationPath("v1")
@OpenAPIDefinition(
    info =
        @Info(
            title = "LLaDA Platform API",
            version = "0.1.0",
            description =
                "OpenAI-compatible API for LLaDA masked diffusion language models, with"
                    + " diffusion-native extras.",
            license = @License(name = "Apache-2.0")))
public class PlatformApplication extends Application {

  @Override
  public Map<String, Object> getProperties() {
    // An error status without a body must stay as the API produced it, not become the
    // container's error page.
    return Map.of(
        "jersey.config.server.response.setStatusOverSendError",
        true,
        // no 8 KiB buffering to compute Content-Length: SSE chunks must leave at each flush
        "jersey.config.server.contentLength.buffer",
        0,
        // OPTIONS answers with Allow only; no generated WADL describing the internals
        "jersey.config.server.wadl.disableWadl",
        true,
        // multipart/form-data for /v1/files (jakarta.ws.rs.core.EntityPart, Jersey's module)
        "jersey.config.server.provider.classnames",
        "org.glassfish.jersey.media.multipart.MultiPartFeature");
  }
}

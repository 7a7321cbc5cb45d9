package dev.llada.platform.interfaces.rest;

import static dev.llada.platform.interfaces.rest.OpenAiObjects.choice;
import static dev.llada.platform.interfaces.rest.OpenAiObjects.chunk;
import static dev.llada.platform.interfaces.rest.OpenAiObjects.usage;

import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.RequestLog;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.interfaces.rest.OpenAiObjects.Kind;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.ModelLimits;
import dev.llada.worker.ModelRef;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.logging.Logger;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions} in OpenAI's wire format, with
 * LLaDA's diffusion knobs ({@code steps}, {@code gen_length}, {@code block_length}, {@code
 * cfg_scale}, {@code remasking}, {@code temperature}, {@code seed}) as extra body fields. With
 * {@code stream: true} the answer arrives as SSE chunks: text is sent as soon as a prefix of the
 * canvas is final (all its positions committed), then {@code [DONE]}.
 */
@Path("")
@RequestScoped
@Consumes(MediaType.APPLICATION_JSON)
@Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
@Tag(name = "Completions")
public class CompletionsResource {

  private static final Logger LOG = Logger.getLogger(CompletionsResource.class.getName());

  @Inject InferenceService inference;
  @Inject RequestContext context;
  @Inject RequestLog requestLog;
  @Inject ChatImages images;

  @jakarta.ws.rs.core.Context jakarta.servlet.http.HttpServletRequest servletRequest;

  @POST
  @Path("completions")
  @Operation(summary = "Create a completion (prompt in, text out)")
  public void completions(JsonObject body, @Suspended AsyncResponse async) {
    AsyncAnswer.answer(async, () -> run(Kind.COMPLETION, body));
  }

  @POST
  @Path("chat/completions")
  @Operation(summary = "Create a chat completion (messages in, assistant message out)")
  public void chat(JsonObject body, @Suspended AsyncResponse async) {
    AsyncAnswer.answer(async, () -> run(Kind.CHAT, body));
  }

  /** Runs a completion or chat request: checked, priced and admitted here, answered when done. */
  private CompletionStage<Response> run(Kind kind, JsonObject body) {
    JsonObject b = JsonFields.body(body);
    Caller caller = context.caller();
    CompletionRequest request = CompletionRequest.of(kind, b, caller, inference, images);
    ModelRef model = request.model();
    PreparedRequest prepared = request.prepared();
    List<String> stops = request.stops();
    boolean[] flags = CompletionRequest.streamFlags(b);
    boolean stream = flags[0];
    boolean includeUsage = flags[1];
    context.model(model.name());
    if (caller.storeBodies()) {
      context.bodies(ImageParts.redacted(b).toString(), null); // images are not logged
    }
    Reservation reservation = inference.admit(context, caller, prepared, kind.endpoint);
    String id = kind.idPrefix + context.requestId().toString().replace("-", "");
    long created = Instant.now().getEpochSecond();
    java.util.function.BooleanSupplier connected = ClientConnection.open(servletRequest);
    RequestContext ctx =
        context.detach().context(); // the answer is built after this thread has gone
    if (!stream) {
      return inference.generateAsync(
          reservation,
          prepared,
          e -> {},
          () -> !connected.getAsBoolean(),
          r -> {
            JsonObject response = request.answer(id, created, r);
            ctx.usage(
                model.name(),
                prepared.promptIds().length,
                r.completionIds().length,
                r.computeUnits());
            if (caller.storeBodies()) {
              ctx.bodies(null, response.toString());
            }
            return RateLimitHeaders.apply(
                    Response.ok(response, MediaType.APPLICATION_JSON_TYPE), reservation.limits())
                .build();
          });
    }
    UUID requestId = context.requestId();
    StreamingOutput out =
        output ->
            stream(
                kind,
                id,
                created,
                model,
                prepared,
                reservation,
                stops,
                includeUsage,
                output,
                requestId,
                connected);
    return CompletableFuture.completedFuture(
        RateLimitHeaders.apply(
                Response.ok(out, "text/event-stream").header("Cache-Control", "no-cache"),
                reservation.limits())
            .build());
  }

  /**
   * Writes the SSE stream: a content chunk whenever a longer prefix of the canvas is final (all its
   * positions committed, up to the first EOS/EoT), an SSE comment for any other step.
   */
  private void stream(
      Kind kind,
      String id,
      long created,
      ModelRef model,
      PreparedRequest prepared,
      Reservation reservation,
      List<String> stops,
      boolean includeUsage,
      OutputStream output,
      UUID requestId,
      java.util.function.BooleanSupplier connected)
      throws IOException {
    StepStream sse = new StepStream(output);
    ModelLimits limits = inference.limits(model);
    int promptLength = prepared.promptIds().length;
    int genLength = prepared.config().genLength();
    int[] canvas = new int[genLength];
    Arrays.fill(canvas, -1);
    if (kind == Kind.CHAT) {
      sse.send(
          chunk(kind, id, created, model)
              .add(
                  "choices",
                  Json.createArrayBuilder()
                      .add(
                          Json.createObjectBuilder()
                              .add("index", 0)
                              .add(
                                  "delta",
                                  Json.createObjectBuilder()
                                      .add("role", "assistant")
                                      .add("content", ""))
                              .addNull("logprobs")
                              .addNull("finish_reason")))
              .build()
              .toString());
    }
    sse.run(
        inference,
        reservation,
        prepared,
        connected,
        requestLog,
        requestId,
        new StepStream.Writer() {
          String sent = "";
          int prefix = 0;
          boolean stopped;

          @Override
          public void step(StepEvent e) throws IOException {
            for (int i = 0; i < e.positions()[0].length; i++) {
              canvas[e.positions()[0][i] - promptLength] = e.tokens()[0][i];
            }
            int before = prefix;
            while (!stopped && prefix < genLength && canvas[prefix] >= 0) {
              if (canvas[prefix] == limits.eosId() || canvas[prefix] == limits.eotId()) {
                stopped = true;
              } else {
                prefix++;
              }
            }
            String delta = "";
            if (prefix > before) {
              String text = inference.decode(model, Arrays.copyOf(canvas, prefix));
              int cut = DiffusionRequests.firstStop(text, stops);
              if (cut >= 0) {
                text = text.substring(0, cut);
              }
              if (text.startsWith(sent) && text.length() > sent.length()) {
                delta = text.substring(sent.length());
                sent = text;
              }
            }
            if (delta.isEmpty()) {
              sse.comment("step " + (e.step() + 1));
            } else {
              sse.send(
                  chunk(kind, id, created, model)
                      .add(
                          "choices", Json.createArrayBuilder().add(choice(kind, delta, null, true)))
                      .build()
                      .toString());
            }
          }

          @Override
          public void done(GenerationResult r) throws IOException {
            String text = r.text();
            String finish = r.finishReason();
            int cut = DiffusionRequests.firstStop(text, stops);
            if (cut >= 0) {
              text = text.substring(0, cut);
              finish = "stop";
            }
            String rest = text.startsWith(sent) ? text.substring(sent.length()) : "";
            sse.send(
                chunk(kind, id, created, model)
                    .add(
                        "choices",
                        Json.createArrayBuilder()
                            .add(choice(kind, rest.isEmpty() ? null : rest, finish, true)))
                    .build()
                    .toString());
            if (includeUsage) {
              sse.send(
                  chunk(kind, id, created, model)
                      .add("choices", Json.createArrayBuilder())
                      .add("usage", usage(prepared, r))
                      .build()
                      .toString());
            }
          }
        });
  }
}

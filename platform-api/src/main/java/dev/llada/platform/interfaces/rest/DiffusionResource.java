package dev.llada.platform.interfaces.rest;

import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.application.DiffusionParams;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.application.RequestContext;
import dev.llada.platform.application.RequestLog;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.application.ResolvedModel;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelRef;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.container.Suspended;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The diffusion-native endpoints: {@code POST /v1/diffusion/generate} (the per-step denoising
 * trace: committed positions, tokens, their text and confidences; streamed as SSE by default) and
 * {@code POST /v1/loglikelihood} (the Monte Carlo estimate of llada-spec §3).
 */
@Path("")
@RequestScoped
@Consumes(MediaType.APPLICATION_JSON)
@Produces({MediaType.APPLICATION_JSON, "text/event-stream"})
@Tag(name = "Diffusion")
public class DiffusionResource {

  @Inject InferenceService inference;
  @Inject RequestContext context;
  @Inject RequestLog requestLog;
  @Inject ChatImages images;

  @Context HttpServletRequest servletRequest;

  @POST
  @Path("diffusion/generate")
  @Operation(summary = "Generate, with the denoising trace of every step")
  public void generate(JsonObject body, @Suspended AsyncResponse async) {
    AsyncAnswer.answer(async, () -> generate(body));
  }

  private CompletionStage<Response> generate(JsonObject body) {
    JsonObject b = JsonFields.body(body);
    Caller caller = context.caller();
    ResolvedModel resolved = inference.resolve(caller, JsonFields.requiredString(b, "model"));
    ModelRef model = resolved.ref();
    // messages may carry images (as /v1/chat/completions takes them); a prompt is text
    OpenAiPrompts.Chat chat =
        JsonFields.present(b, "messages") ? OpenAiPrompts.chat(b, resolved.variant()) : null;
    String prompt = chat == null ? JsonFields.requiredString(b, "prompt") : null;
    boolean stream = JsonFields.bool(b, "stream", true);
    DiffusionParams params = DiffusionRequests.params(b);
    PreparedRequest prepared =
        chat != null
            ? images.prepare(model, chat, params)
            : inference.prepare(model, prompt, "prompt", params);
    context.model(model.name());
    Reservation reservation = inference.admit(context, caller, prepared, "/v1/diffusion/generate");
    BooleanSupplier connected = ClientConnection.open(servletRequest);
    RequestContext ctx =
        context.detach().context(); // the answer is built after this thread has gone
    if (!stream) {
      List<JsonObject> steps = new ArrayList<>();
      return inference.generateAsync(
          reservation,
          prepared,
          e -> steps.add(step(model, prepared, e)),
          () -> !connected.getAsBoolean(),
          r -> {
            JsonArrayBuilder trace = Json.createArrayBuilder();
            steps.forEach(trace::add);
            JsonObject answer = done(model, prepared, r).add("trace", trace).build();
            ctx.usage(
                model.name(),
                prepared.promptIds().length,
                r.completionIds().length,
                r.computeUnits());
            return RateLimitHeaders.apply(
                    Response.ok(answer, MediaType.APPLICATION_JSON_TYPE), reservation.limits())
                .build();
          });
    }
    UUID requestId = context.requestId();
    StreamingOutput out =
        output -> stream(model, prepared, reservation, output, requestId, connected);
    return CompletableFuture.completedFuture(
        RateLimitHeaders.apply(
                Response.ok(out, "text/event-stream").header("Cache-Control", "no-cache"),
                reservation.limits())
            .build());
  }

  private void stream(
      ModelRef model,
      PreparedRequest prepared,
      Reservation reservation,
      OutputStream output,
      UUID requestId,
      BooleanSupplier connected) {
    StepStream sse = new StepStream(output);
    sse.run(
        inference,
        reservation,
        prepared,
        connected,
        requestLog,
        requestId,
        new StepStream.Writer() {
          @Override
          public void step(StepEvent e) throws IOException {
            sse.send(DiffusionResource.this.step(model, prepared, e).toString());
          }

          @Override
          public void done(GenerationResult r) throws IOException {
            sse.send(DiffusionResource.done(model, prepared, r).build().toString());
          }
        });
  }

  /** One step of the trace; positions are offsets into the generated part. */
  private JsonObject step(ModelRef model, PreparedRequest prepared, StepEvent e) {
    int promptLength = prepared.promptIds().length;
    JsonArrayBuilder positions = Json.createArrayBuilder();
    JsonArrayBuilder tokens = Json.createArrayBuilder();
    JsonArrayBuilder texts = Json.createArrayBuilder();
    JsonArrayBuilder confidences = Json.createArrayBuilder();
    for (int i = 0; i < e.positions()[0].length; i++) {
      positions.add(e.positions()[0][i] - promptLength);
      tokens.add(e.tokens()[0][i]);
      texts.add(inference.decode(model, new int[] {e.tokens()[0][i]}));
      double c = e.confidences()[0][i];
      confidences.add(Double.isFinite(c) ? c : 0.0);
    }
    return Json.createObjectBuilder()
        .add("type", "step")
        .add("step", e.step())
        .add("block", e.block())
        .add("positions", positions)
        .add("tokens", tokens)
        .add("texts", texts)
        .add("confidences", confidences)
        .build();
  }

  private static JsonObjectBuilder done(
      ModelRef model, PreparedRequest prepared, GenerationResult r) {
    JsonArrayBuilder ids = Json.createArrayBuilder();
    for (int id : r.completionIds()) {
      ids.add(id);
    }
    return Json.createObjectBuilder()
        .add("type", "done")
        .add("model", model.name())
        .add("text", r.text())
        .add("completion_ids", ids)
        .add("finish_reason", r.finishReason())
        .add("seed", prepared.seed())
        .add(
            "usage",
            Json.createObjectBuilder()
                .add("prompt_tokens", prepared.promptIds().length)
                .add("completion_tokens", r.completionIds().length)
                .add("total_tokens", prepared.promptIds().length + r.completionIds().length)
                .add("steps", r.steps())
                .add("nfe", r.nfe())
                .add("compute_units", r.computeUnits())
                .add("sampler", prepared.sampler())
                .add("cache", prepared.cache())
                .add("refresh", prepared.refresh()));
  }

  @POST
  @Path("loglikelihood")
  @Operation(summary = "Estimate log p(continuation | context) by Monte Carlo (llada-spec §3)")
  public void loglikelihood(JsonObject body, @Suspended AsyncResponse async) {
    AsyncAnswer.answer(async, () -> loglikelihood(body));
  }

  private CompletionStage<Response> loglikelihood(JsonObject body) {
    JsonObject b = JsonFields.body(body);
    Caller caller = context.caller();
    ModelRef model = inference.resolve(caller, JsonFields.requiredString(b, "model")).ref();
    int[] contextIds = inference.encode(model, JsonFields.requiredString(b, "context"), "context");
    int[] continuation =
        inference.encode(model, JsonFields.requiredString(b, "continuation"), "continuation");
    if (contextIds.length == 0 || continuation.length == 0) {
      String param = contextIds.length == 0 ? "context" : "continuation";
      throw new InvalidRequestException(param, "'" + param + "' must not be empty.");
    }
    int max = inference.limits(model).maxSequenceLength();
    if (contextIds.length + continuation.length > max) {
      throw new InvalidRequestException(
          "context_length_exceeded",
          "continuation",
          "context + continuation have "
              + (contextIds.length + continuation.length)
              + " tokens; this model's context is "
              + max
              + ".");
    }
    int mcNum = JsonFields.intIn(b, "mc_num", 128, 1, 4096);
    int batchSize = JsonFields.intIn(b, "batch_size", Math.min(32, mcNum), 1, 256);
    if (mcNum % batchSize != 0) {
      throw new InvalidRequestException(
          "mc_num", "mc_num (" + mcNum + ") must be a multiple of batch_size (" + batchSize + ").");
    }
    double cfg = JsonFields.number(b, "cfg_scale", 0.0, 0.0, 100.0);
    long seed = JsonFields.integer(b, "seed", 0L);
    long units = PreparedRequest.computeUnits(mcNum, contextIds.length + continuation.length, cfg);
    context.model(model.name());
    Reservation reservation =
        inference.admit(context, caller, model, "/v1/loglikelihood", contextIds.length, units);
    BooleanSupplier connected = ClientConnection.open(servletRequest);
    RequestContext ctx =
        context.detach().context(); // the answer is built after this thread has gone
    return inference.loglikelihoodAsync(
        reservation,
        new LikelihoodJob(model, contextIds, continuation, mcNum, batchSize, cfg, seed),
        units,
        () -> !connected.getAsBoolean(),
        r -> {
          JsonObject answer = likelihood(model, r, contextIds.length, continuation.length, units);
          ctx.usage(model.name(), contextIds.length + continuation.length, 0, units);
          return RateLimitHeaders.apply(
                  Response.ok(answer, MediaType.APPLICATION_JSON_TYPE), reservation.limits())
              .build();
        });
  }

  /**
   * The likelihood answer. {@code standard_error} is null when it is undefined: the estimate's
   * standard error is taken over its {@code mc_num / batch_size} batch means (the rows of one batch
   * are stratified, not independent), so a single batch ({@code mc_num == batch_size}) has none. A
   * log-likelihood of −∞ (a token the model gives probability 0) is null too: JSON has no −∞.
   */
  static JsonObject likelihood(
      ModelRef model, LikelihoodResult r, int contextTokens, int continuationTokens, long units) {
    JsonObjectBuilder out =
        Json.createObjectBuilder().add("object", "loglikelihood").add("model", model.name());
    addFinite(out, "log_likelihood", r.logLikelihood());
    addFinite(out, "standard_error", r.standardError());
    return out.add("mc_num", r.mcNum())
        .add("nfe", r.nfe())
        .add(
            "usage",
            Json.createObjectBuilder()
                .add("context_tokens", contextTokens)
                .add("continuation_tokens", continuationTokens)
                .add("compute_units", units))
        .build();
  }

  private static void addFinite(JsonObjectBuilder out, String name, double value) {
    if (Double.isFinite(value)) {
      out.add(name, value);
    } else {
      out.addNull(name);
    }
  }
}

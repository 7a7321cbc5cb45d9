package dev.llada.platform.interfaces.rest;

import static dev.llada.platform.interfaces.rest.OpenAiObjects.choice;
import static dev.llada.platform.interfaces.rest.OpenAiObjects.usage;

import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.application.ResolvedModel;
import dev.llada.platform.domain.Caller;
import dev.llada.platform.interfaces.rest.OpenAiObjects.Kind;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.ModelRef;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.util.List;

/**
 * A {@code /v1/completions} or {@code /v1/chat/completions} request resolved, checked and priced,
 * and its answer: the same for the endpoint and for a batch's request (docs/adr/0020).
 *
 * @param stops the {@code stop} sequences the answer is cut at
 */
public record CompletionRequest(
    Kind kind, JsonObject body, ModelRef model, PreparedRequest prepared, List<String> stops) {

  /** Resolves the model for {@code caller}, reads the prompt or messages and the knobs. */
  static CompletionRequest of(
      Kind kind, JsonObject b, Caller caller, InferenceService inference, ChatImages images) {
    ResolvedModel model = inference.resolve(caller, JsonFields.requiredString(b, "model"));
    PreparedRequest prepared;
    if (kind == Kind.CHAT) {
      OpenAiPrompts.Chat chat = OpenAiPrompts.chat(b, model.variant());
      streamFlags(b);
      List<String> stops = DiffusionRequests.stop(b);
      prepared = images.prepare(model.ref(), chat, DiffusionRequests.params(b));
      return new CompletionRequest(kind, b, model.ref(), prepared, stops);
    }
    String prompt = OpenAiPrompts.prompt(b);
    streamFlags(b);
    List<String> stops = DiffusionRequests.stop(b);
    prepared = inference.prepare(model.ref(), prompt, "prompt", DiffusionRequests.params(b));
    return new CompletionRequest(kind, b, model.ref(), prepared, stops);
  }

  /** Whether the answer is streamed, and with its usage; checked in the endpoint's order. */
  static boolean[] streamFlags(JsonObject b) {
    boolean stream = JsonFields.bool(b, "stream", false);
    JsonObject streamOptions = JsonFields.object(b, "stream_options");
    boolean includeUsage =
        streamOptions != null && JsonFields.bool(streamOptions, "include_usage", false);
    return new boolean[] {stream, includeUsage};
  }

  /** The endpoint a request of {@code kind} came through. */
  public String endpoint() {
    return kind.endpoint;
  }

  /** The answer OpenAI's endpoint gives, for the generation {@code r}. */
  JsonObject answer(String id, long created, GenerationResult r) {
    String text = r.text();
    String finish = r.finishReason();
    int cut = DiffusionRequests.firstStop(text, stops);
    if (cut >= 0) {
      text = text.substring(0, cut);
      finish = "stop";
    }
    return Json.createObjectBuilder()
        .add("id", id)
        .add("object", kind.object)
        .add("created", created)
        .add("model", model.name())
        .add("choices", Json.createArrayBuilder().add(choice(kind, text, finish, false)))
        .add("usage", usage(prepared, r))
        .add("system_fingerprint", model.digest().substring(0, 19))
        .build();
  }
}

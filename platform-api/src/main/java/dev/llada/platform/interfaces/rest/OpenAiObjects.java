package dev.llada.platform.interfaces.rest;

import dev.llada.platform.application.PreparedRequest;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.ModelRef;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;

/**
 * The objects the OpenAI-compatible endpoints answer with, as OpenAI writes them: a choice (a
 * message, a delta or a text), the usage (with the diffusion counts: steps, nfe, compute units) and
 * a stream chunk's envelope.
 */
final class OpenAiObjects {

  private OpenAiObjects() {}

  /** Which of the two OpenAI endpoints a request came through. */
  enum Kind {
    COMPLETION("text_completion", "cmpl-", "/v1/completions"),
    CHAT("chat.completion", "chatcmpl-", "/v1/chat/completions");

    final String object;
    final String idPrefix;
    final String endpoint;

    Kind(String object, String idPrefix, String endpoint) {
      this.object = object;
      this.idPrefix = idPrefix;
      this.endpoint = endpoint;
    }
  }

  static JsonObject choice(Kind kind, String text, String finish, boolean delta) {
    JsonObjectBuilder c = Json.createObjectBuilder().add("index", 0);
    if (kind == Kind.CHAT) {
      JsonObjectBuilder m = Json.createObjectBuilder();
      if (!delta) {
        m.add("role", "assistant").add("content", text).addNull("refusal");
      } else if (text != null) {
        m.add("content", text);
      }
      c.add(delta ? "delta" : "message", m);
    } else {
      c.add("text", text == null ? "" : text);
    }
    c.addNull("logprobs");
    if (finish == null) {
      c.addNull("finish_reason");
    } else {
      c.add("finish_reason", finish);
    }
    return c.build();
  }

  static JsonObject usage(PreparedRequest p, GenerationResult r) {
    int promptTokens = p.promptIds().length;
    return Json.createObjectBuilder()
        .add("prompt_tokens", promptTokens)
        .add("completion_tokens", r.completionIds().length)
        .add("total_tokens", promptTokens + r.completionIds().length)
        .add("steps", r.steps())
        .add("nfe", r.nfe())
        .add("compute_units", r.computeUnits())
        .add("sampler", p.sampler())
        .add("cache", p.cache())
        .add("refresh", p.refresh())
        .build();
  }

  static JsonObjectBuilder chunk(Kind kind, String id, long created, ModelRef model) {
    return Json.createObjectBuilder()
        .add("id", id)
        .add("object", kind == Kind.CHAT ? "chat.completion.chunk" : "text_completion")
        .add("created", created)
        .add("model", model.name());
  }
}

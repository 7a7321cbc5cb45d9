package dev.llada.platform.interfaces.rest;

import jakarta.ws.rs.container.AsyncResponse;
import jakarta.ws.rs.core.Response;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Answers an inference call without holding its HTTP thread (issue #16, item 3): the resource
 * method admits the request and returns; the answer, or the refusal, resumes the suspended response
 * once the request is settled. Health, admin and model listings thus never wait behind inference
 * for a request thread.
 */
final class AsyncAnswer {

  private AsyncAnswer() {}

  /**
   * Resumes {@code async} with what {@code work} completes with; a refusal thrown by {@code work}
   * itself (bad input, quota) or completing it goes through the exception mappers as usual.
   */
  static void answer(AsyncResponse async, Supplier<CompletionStage<Response>> work) {
    CompletionStage<Response> answer;
    try {
      answer = work.get();
    } catch (RuntimeException e) {
      async.resume(e);
      return;
    }
    answer.whenComplete(
        (response, error) -> {
          if (error == null) {
            async.resume(response);
          } else {
            async.resume(
                error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error);
          }
        });
  }
}

package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java}) against the running platform
 * (Payara Micro + PostgreSQL) and the shipped tiny models: list, complete, chat, stream, errors.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class OpenAiSdkIT {

  private static final String MODEL = "llada-tiny-instruct";
  private static OpenAIClient client;

  @Deployment(testable = false)
  static WebArchive deployment() throws IOException {
    ItDatabase.start();
    return ShrinkWrap.createFromZipFile(
        WebArchive.class, new File(System.getProperty("platform.war", "target/platform-api.war")));
  }

  @BeforeAll
  static void tenant() throws Exception {
    ApiClient.createTenant("sdk-co", "{\"tokens_per_day\":1000000}", "INSTRUCT", "BASE");
    client = sdk(ApiClient.createKey("sdk-co", null));
  }

  private static OpenAIClient sdk(String key) {
    return OpenAIOkHttpClient.builder()
        .baseUrl(ApiClient.BASE + "/v1")
        .apiKey(key)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(120))
        .build();
  }

  @Test
  void listsTheModelsTheTenantMayCall() {
    List<String> ids = client.models().list().data().stream().map(Model::id).toList();
    assertTrue(ids.contains(MODEL), ids.toString());
    assertTrue(ids.contains("llada-tiny-base"), ids.toString());
    assertFalse(ids.contains("llada-moe-7b-a1b-instruct"), "MOE is not entitled: " + ids);
    assertEquals(MODEL, client.models().retrieve(MODEL).id());
  }

  @Test
  void completes() {
    Completion c =
        client
            .completions()
            .create(
                CompletionCreateParams.builder()
                    .model(MODEL)
                    .prompt("sort 321:")
                    .maxTokens(8)
                    .seed(1)
                    .putAdditionalBodyProperty("steps", JsonValue.from(8))
                    .build());
    assertEquals(1, c.choices().size());
    assertTrue(c.choices().get(0).finishReason().toString().matches("stop|length"));
    assertTrue(c.usage().orElseThrow().completionTokens() <= 8);
  }

  @Test
  void chatsAndStreamsTheSameAnswer() {
    ChatCompletionCreateParams params =
        ChatCompletionCreateParams.builder()
            .model(MODEL)
            .addUserMessage("sort 5132:")
            .maxCompletionTokens(8)
            .putAdditionalBodyProperty("steps", JsonValue.from(8))
            .putAdditionalBodyProperty("block_length", JsonValue.from(4))
            .putAdditionalBodyProperty("seed", JsonValue.from(5))
            .build();
    ChatCompletion chat = client.chat().completions().create(params);
    String whole = chat.choices().get(0).message().content().orElse("");
    ChatCompletionCreateParams streaming =
        params.toBuilder()
            .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
            .build();
    StringBuilder streamed = new StringBuilder();
    long[] usageTokens = {-1};
    try (StreamResponse<ChatCompletionChunk> stream =
        client.chat().completions().createStreaming(streaming)) {
      stream.stream()
          .forEach(
              chunk -> {
                chunk.usage().ifPresent(u -> usageTokens[0] = u.completionTokens());
                chunk.choices().stream()
                    .map(ch -> ch.delta().content())
                    .flatMap(Optional::stream)
                    .forEach(streamed::append);
              });
    }
    assertEquals(whole, streamed.toString());
    assertEquals(chat.usage().orElseThrow().completionTokens(), usageTokens[0]);
  }

  @Test
  void errorsArriveAsTheSdksTypedExceptions() throws Exception {
    NotFoundException missing =
        assertThrows(
            NotFoundException.class,
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("gpt-4o")
                            .addUserMessage("hi")
                            .build()));
    assertEquals(Optional.of("model_not_found"), missing.code());
    assertThrows(UnauthorizedException.class, () -> sdk("llk_wrong").models().list());
    PermissionDeniedException denied =
        assertThrows(
            PermissionDeniedException.class,
            () ->
                client
                    .chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model("llada-moe-7b-a1b-instruct")
                            .addUserMessage("hi")
                            .build()));
    assertEquals(Optional.of("model_not_allowed"), denied.code());
    ApiClient.createTenant("sdk-tight", "{\"requests_per_minute\":1}", "INSTRUCT");
    OpenAIClient tight = sdk(ApiClient.createKey("sdk-tight", null));
    CompletionCreateParams one =
        CompletionCreateParams.builder()
            .model(MODEL)
            .prompt("sort 1:")
            .maxTokens(4)
            .putAdditionalBodyProperty("steps", JsonValue.from(4))
            .build();
    tight.completions().create(one);
    RateLimitException limited =
        assertThrows(RateLimitException.class, () -> tight.completions().create(one));
    assertEquals(429, limited.statusCode());
    assertTrue(limited.headers().values("Retry-After").size() == 1);
  }
}

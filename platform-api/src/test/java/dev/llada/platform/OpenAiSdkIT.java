package dev.llada.platform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import dev.llada.core.vision.ShapeScenes;
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
  private static final String VISION = "llada-tiny-v";
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

  /**
   * An image through the SDK's content parts (issue #20): a data URL of a held-out scene of the
   * tiny LLaDA-V model's task suite and its question; the answer is the model's own (llada-core
   * alone), the usage counts the image's positions; a remote URL is the SDK's BadRequestException
   * with the platform's code and the part named.
   */
  @Test
  void anImageGoesThroughTheSdksContentParts() throws Exception {
    ApiClient.createTenant("sdk-eye", null, "VISION");
    OpenAIClient eye = sdk(ApiClient.createKey("sdk-eye", null));
    ShapeScenes.Item item =
        new ShapeScenes(64)
            .next(ShapeScenes.Category.COLOUR, new java.util.SplittableRandom(7), true);
    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
    javax.imageio.ImageIO.write(item.image(), "png", png);
    String url =
        "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png.toByteArray());
    ChatCompletionCreateParams.Builder params =
        ChatCompletionCreateParams.builder()
            .model(VISION)
            .maxCompletionTokens(16)
            .putAdditionalBodyProperty("steps", JsonValue.from(16))
            .putAdditionalBodyProperty("seed", JsonValue.from(1));
    ChatCompletion chat =
        eye.chat()
            .completions()
            .create(
                params
                    .addUserMessageOfArrayOfContentParts(
                        List.of(
                            image(url), ChatCompletionContentPart.ofText(text(item.question()))))
                    .build());
    String answer = chat.choices().get(0).message().content().orElse("");
    assertEquals(
        VisionOracle.answer(item.image(), item.question(), 16),
        answer,
        "what the model answers on its own: " + item.question() + " " + item.sceneKey());
    long withImage = chat.usage().orElseThrow().promptTokens();
    ChatCompletion textOnly =
        eye.chat()
            .completions()
            .create(
                ChatCompletionCreateParams.builder()
                    .model(VISION)
                    .addUserMessage(item.question())
                    .maxCompletionTokens(1)
                    .putAdditionalBodyProperty("steps", JsonValue.from(1))
                    .build());
    assertEquals(
        textOnly.usage().orElseThrow().promptTokens() + VisionOracle.tokensPerImage() + 1,
        withImage,
        "the image's 65 positions and the newline after it are prompt tokens");
    BadRequestException remote =
        assertThrows(
            BadRequestException.class,
            () ->
                eye.chat()
                    .completions()
                    .create(
                        ChatCompletionCreateParams.builder()
                            .model(VISION)
                            .addUserMessageOfArrayOfContentParts(
                                List.of(image("https://example.com/scene.png")))
                            .build()));
    assertEquals(Optional.of("image_url_not_supported"), remote.code());
    assertEquals(Optional.of("messages[0].content[0].image_url.url"), remote.param());
  }

  private static ChatCompletionContentPart image(String url) {
    return ChatCompletionContentPart.ofImageUrl(
        ChatCompletionContentPartImage.builder()
            .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(url).build())
            .build());
  }

  private static ChatCompletionContentPartText text(String text) {
    return ChatCompletionContentPartText.builder().text(text).build();
  }

  @Test
  void filesGoThroughTheSdksUploadListContentAndDelete() throws Exception {
    byte[] jsonl =
        "{\"custom_id\":\"1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{}}\n"
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    java.nio.file.Path path = java.nio.file.Files.createTempFile("sdk-batch-", ".jsonl");
    try {
      java.nio.file.Files.write(path, jsonl);
      com.openai.models.files.FileObject file =
          client
              .files()
              .create(
                  com.openai.models.files.FileCreateParams.builder()
                      .file(path)
                      .purpose(com.openai.models.files.FilePurpose.BATCH)
                      .build());
      assertTrue(file.id().startsWith("file-"), file.id());
      assertEquals(jsonl.length, file.bytes());
      assertEquals(path.getFileName().toString(), file.filename());
      assertEquals(com.openai.models.files.FileObject.Purpose.BATCH, file.purpose());
      assertEquals(file.id(), client.files().retrieve(file.id()).id());
      assertTrue(
          client.files().list().data().stream().anyMatch(f -> f.id().equals(file.id())),
          "the list has the upload");
      try (com.openai.core.http.HttpResponse content = client.files().content(file.id())) {
        assertArrayEquals(jsonl, content.body().readAllBytes());
      }
      assertTrue(client.files().delete(file.id()).deleted());
      NotFoundException gone =
          assertThrows(NotFoundException.class, () -> client.files().retrieve(file.id()));
      assertEquals(Optional.of("file_not_found"), gone.code());
    } finally {
      java.nio.file.Files.deleteIfExists(path);
    }
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

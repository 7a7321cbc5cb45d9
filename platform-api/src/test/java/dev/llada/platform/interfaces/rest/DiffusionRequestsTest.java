package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.Remasking;
import dev.llada.platform.application.DiffusionParams;
import dev.llada.platform.domain.InvalidRequestException;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffusionRequestsTest {

  private static JsonObject json(String s) {
    try (var r = Json.createReader(new StringReader(s))) {
      return r.readObject();
    }
  }

  private static String refusedParam(String body) {
    return assertThrows(InvalidRequestException.class, () -> DiffusionRequests.params(json(body)))
        .param();
  }

  @Test
  void theFastSamplerIsAKnobWithItsThreshold() {
    assertNull(
        DiffusionRequests.params(json("{}")).acceleration(), "the reference sampler by default");
    assertNull(DiffusionRequests.params(json("{\"sampler\":\"reference\"}")).acceleration());
    assertEquals(
        0.9,
        DiffusionRequests.params(json("{\"sampler\":\"fast\"}")).acceleration().parallel().value());
    assertEquals(
        0.5,
        DiffusionRequests.params(json("{\"sampler\":\"fast\",\"threshold\":0.5}"))
            .acceleration()
            .parallel()
            .value());
    Acceleration fast = DiffusionRequests.params(json("{\"sampler\":\"fast\"}")).acceleration();
    assertEquals(Acceleration.Cache.DUAL, fast.cache(), "the dual cache by default");
    assertTrue(fast.earlyStop());
    assertTrue(fast.incrementalRefresh(), "refreshed incrementally by default");
    assertFalse(
        DiffusionRequests.params(json("{\"sampler\":\"fast\",\"refresh\":\"whole\"}"))
            .acceleration()
            .incrementalRefresh());
    assertFalse(
        DiffusionRequests.params(json("{\"sampler\":\"fast\",\"cache\":\"none\"}"))
            .acceleration()
            .incrementalRefresh());
    assertEquals("refresh", refusedParam("{\"refresh\":\"whole\"}"));
    assertEquals("refresh", refusedParam("{\"sampler\":\"fast\",\"refresh\":\"lazy\"}"));
    assertEquals(
        "refresh",
        refusedParam("{\"sampler\":\"fast\",\"cache\":\"none\",\"refresh\":\"incremental\"}"));
    assertEquals(
        Acceleration.Cache.PREFIX,
        DiffusionRequests.params(json("{\"sampler\":\"fast\",\"cache\":\"prefix\"}"))
            .acceleration()
            .cache());
    assertEquals(
        Acceleration.Cache.NONE,
        DiffusionRequests.params(json("{\"sampler\":\"fast\",\"cache\":\"none\"}"))
            .acceleration()
            .cache());
    assertNull(DiffusionRequests.params(json("{\"cache\":\"none\"}")).acceleration());
    assertEquals("cache", refusedParam("{\"cache\":\"dual\"}"));
    assertEquals("cache", refusedParam("{\"sampler\":\"fast\",\"cache\":\"full\"}"));
    assertEquals("cache", refusedParam("{\"sampler\":\"fast\",\"cache\":7}"));
    assertEquals("sampler", refusedParam("{\"sampler\":\"turbo\"}"));
    assertEquals("threshold", refusedParam("{\"threshold\":0.5}"));
    assertEquals("threshold", refusedParam("{\"sampler\":\"fast\",\"threshold\":0}"));
    assertEquals("threshold", refusedParam("{\"sampler\":\"fast\",\"threshold\":1.5}"));
    assertEquals("threshold", refusedParam("{\"sampler\":\"fast\",\"threshold\":\"high\"}"));
    assertEquals("remasking", refusedParam("{\"sampler\":\"fast\",\"remasking\":\"random\"}"));
  }

  @Test
  void leavesOutWhatTheClientLeftOut() {
    DiffusionParams p = DiffusionRequests.params(json("{}"));
    assertNull(p.steps());
    assertNull(p.genLength());
    assertNull(p.blockLength());
    assertNull(p.seed());
    assertEquals(0.0, p.temperature(), "LLaDA's greedy default, not OpenAI's 1");
    assertEquals(Remasking.LOW_CONFIDENCE, p.remasking());
  }

  @Test
  void maxTokensIsAnAliasOfGenLength() {
    assertEquals(16, DiffusionRequests.params(json("{\"max_tokens\":16}")).genLength());
    assertEquals(16, DiffusionRequests.params(json("{\"max_completion_tokens\":16}")).genLength());
    assertEquals(
        16, DiffusionRequests.params(json("{\"max_tokens\":16,\"gen_length\":16}")).genLength());
    assertEquals("gen_length", refusedParam("{\"max_tokens\":16,\"gen_length\":8}"));
  }

  @Test
  void namesTheParameterAtFault() {
    assertEquals("steps", refusedParam("{\"steps\":0}"));
    assertEquals("steps", refusedParam("{\"steps\":1.5}"));
    assertEquals("block_length", refusedParam("{\"block_length\":-1}"));
    assertEquals("temperature", refusedParam("{\"temperature\":3}"));
    assertEquals("temperature", refusedParam("{\"temperature\":\"hot\"}"));
    assertEquals("cfg_scale", refusedParam("{\"cfg_scale\":-0.5}"));
    assertEquals("remasking", refusedParam("{\"remasking\":\"top_k\"}"));
    assertEquals("n", refusedParam("{\"n\":3}"));
    assertEquals("logprobs", refusedParam("{\"logprobs\":5}"));
    assertEquals("seed", refusedParam("{\"seed\":\"abc\"}"));
  }

  /** Issue #13: 3000000000 used to wrap around to "must be at least 1", under another name. */
  @Test
  void checksLengthsAndStepsOnTheirExactValueUnderTheirOwnName() {
    for (String name : new String[] {"max_tokens", "max_completion_tokens", "gen_length"}) {
      InvalidRequestException e =
          assertThrows(
              InvalidRequestException.class,
              () -> DiffusionRequests.params(json("{\"" + name + "\":3000000000}")));
      assertEquals(name, e.param());
      assertEquals("'" + name + "' must be between 1 and 1048576, got 3000000000.", e.getMessage());
      assertEquals(name, refusedParam("{\"" + name + "\":0}"));
      assertEquals(name, refusedParam("{\"" + name + "\":-5}"));
      assertEquals(name, refusedParam("{\"" + name + "\":1e30}"));
    }
    assertEquals("steps", refusedParam("{\"steps\":3000000000}"));
    assertEquals("steps", refusedParam("{\"steps\":4097}"));
    assertEquals("block_length", refusedParam("{\"block_length\":3000000000}"));
    assertEquals("n", refusedParam("{\"n\":3000000000}"));
    assertEquals(4096, DiffusionRequests.params(json("{\"steps\":4096}")).steps());
  }

  @Test
  void acceptsFalseForUnsupportedBooleans() {
    DiffusionRequests.params(json("{\"logprobs\":false,\"echo\":false}"));
  }

  @Test
  void stopStringsCutTheTextAtTheEarliest() {
    List<String> stops = DiffusionRequests.stop(json("{\"stop\":[\"\\n\",\"END\"]}"));
    assertEquals(3, DiffusionRequests.firstStop("abcEND\nx", stops));
    assertEquals(-1, DiffusionRequests.firstStop("abc", stops));
    assertEquals(List.of("x"), DiffusionRequests.stop(json("{\"stop\":\"x\"}")));
    assertThrows(
        InvalidRequestException.class,
        () -> DiffusionRequests.stop(json("{\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}")));
    assertThrows(
        InvalidRequestException.class, () -> DiffusionRequests.stop(json("{\"stop\":[\"\"]}")));
  }
}

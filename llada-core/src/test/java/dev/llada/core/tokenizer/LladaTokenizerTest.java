package dev.llada.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.config.ModelFormatException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LladaTokenizerTest {

  @TempDir Path temp;

  @Test
  void rendersTheInstructTemplateExactly() {
    assertEquals(
        "<|startoftext|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
        ChatTemplate.render(List.of(new ChatTemplate.Message("user", "  Hi \n"))));
    String two =
        ChatTemplate.render(
            List.of(
                new ChatTemplate.Message("system", "Be brief."),
                new ChatTemplate.Message("user", "2+2?")));
    assertEquals(1, two.split("<\\|startoftext\\|>", -1).length - 1, "BOS exactly once");
    assertTrue(two.endsWith("<|start_header_id|>assistant<|end_header_id|>\n\n"));
    assertTrue(two.contains("<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"));
    assertThrows(IllegalArgumentException.class, () -> ChatTemplate.render(List.of()));
  }

  /** No token stands for more bytes than maxTokenBytes: bytes / maxTokenBytes bounds the count. */
  @Test
  void maxTokenBytesBoundsTheTokenCountFromBytes() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.<String[]>of(new String[] {"a", "b"}));
    try (LladaTokenizer tok = LladaTokenizer.load(temp)) {
      assertEquals("<|start_header_id|>".length(), tok.maxTokenBytes(), "the longest added token");
      java.util.SplittableRandom random = new java.util.SplittableRandom(7);
      String[] pieces = {"a", "b", "ab", "é", "世", "😀", " ", "<|eot_id|>", "<|start_header_id|>"};
      for (int trial = 0; trial < 300; trial++) {
        StringBuilder text = new StringBuilder();
        for (int i = 1 + random.nextInt(40); i > 0; i--) {
          text.append(pieces[random.nextInt(pieces.length)]);
        }
        int bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        int tokens = tok.encode(text.toString()).length;
        assertTrue((long) tokens * tok.maxTokenBytes() >= bytes, text + ": " + tokens + " tokens");
      }
    }
  }

  @Test
  void byteLevelTokenizerRoundTripsAndKeepsSpecialTokensWhole() throws Exception {
    Map<String, Integer> ids =
        ByteLevelTokenizerWriter.write(temp, List.<String[]>of(new String[] {"a", "b"}));
    try (LladaTokenizer tok = LladaTokenizer.load(temp)) {
      assertEquals(ids.get(SpecialTokenNames.MASK), tok.maskId());
      assertEquals(ids.get(SpecialTokenNames.EOT), tok.eotId());
      assertEquals(257 + 1, tok.eosId(), "256 bytes, one merge, then BOS, EOS");
      String text = "héllo 世界 ab!";
      int[] encoded = tok.encode(text);
      assertEquals(text, tok.decode(encoded, false));
      assertTrue(Arrays.stream(encoded).anyMatch(i -> i == 256), "the merge 'ab' is used");
      String chat = ChatTemplate.render(List.of(new ChatTemplate.Message("user", "hi")));
      int[] prompt = tok.encode(chat);
      assertEquals(tok.bosId(), prompt[0], "BOS once, at the start");
      assertEquals(1, Arrays.stream(prompt).filter(i -> i == tok.eotId()).count());
      assertTrue(tok.decode(prompt, true).contains("hi"));
      int[] withMasks = tok.encode("x<|mdm_mask|><|mdm_mask|>");
      assertEquals(3, withMasks.length);
      assertEquals("x", tok.decode(withMasks, true), "special tokens skipped on request");
    }
  }

  @Test
  void chatHistoryFollowsChatPy() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.of());
    try (LladaTokenizer tok = LladaTokenizer.load(temp)) {
      ChatSession session = new ChatSession(tok);
      int[] first = session.prompt("hi");
      assertArrayEquals(
          tok.encode(ChatTemplate.render(List.of(new ChatTemplate.Message("user", "hi")))), first);
      int[] answer = concat(tok.encode("yo"), new int[] {tok.eotId(), tok.eosId(), tok.eosId()});
      session.accept(concat(first, answer));
      int[] second = session.prompt("again");
      int[] expectedHistory = concat(first, concat(tok.encode("yo"), new int[] {tok.eotId()}));
      assertArrayEquals(
          expectedHistory, Arrays.copyOf(second, expectedHistory.length), "EOS stripped, EoT kept");
      int[] turn =
          tok.encode(ChatTemplate.render(List.of(new ChatTemplate.Message("user", "again"))));
      assertArrayEquals(
          Arrays.copyOfRange(turn, 1, turn.length),
          Arrays.copyOfRange(second, expectedHistory.length, second.length),
          "new turn without its BOS");
    }
  }

  @Test
  void aHistoryPastTheContextDropsItsOldestTurnsKeepingTheBos() throws Exception {
    ByteLevelTokenizerWriter.write(temp, List.of());
    try (LladaTokenizer tok = LladaTokenizer.load(temp)) {
      ChatSession session = new ChatSession(tok);
      int[] answer = concat(tok.encode("ok"), new int[] {tok.eotId(), tok.eosId()});
      int[] first = session.prompt("one");
      session.accept(concat(first, answer));
      int[] second = session.prompt("two");
      session.accept(concat(second, answer));
      int[] third = session.prompt("three");
      // everything fits: the whole history
      assertEquals(0, session.prompt("three", third.length).droppedTurns());
      // one token less: the first turn goes, the BOS stays, the second turn reads as the first
      ChatSession.Prompt cut = session.prompt("three", third.length - 1);
      assertEquals(1, cut.droppedTurns());
      ChatSession fresh = new ChatSession(tok);
      int[] twoAlone = fresh.prompt("two");
      fresh.accept(concat(twoAlone, answer));
      assertArrayEquals(fresh.prompt("three"), cut.ids(), "as if the chat had begun at 'two'");
      assertEquals(tok.bosId(), cut.ids()[0]);
      // room for the message alone: every earlier turn goes (the first went for good above)
      int[] alone =
          tok.encode(ChatTemplate.render(List.of(new ChatTemplate.Message("user", "four"))));
      ChatSession.Prompt last = session.prompt("four", alone.length);
      assertEquals(1, last.droppedTurns());
      assertArrayEquals(alone, last.ids());
      IllegalArgumentException tooLong =
          assertThrows(IllegalArgumentException.class, () -> session.prompt("four", 3));
      assertTrue(tooLong.getMessage().contains("tokens"), tooLong.getMessage());
    }
  }

  @Test
  void aMissingTokenizerIsNamed() {
    ModelFormatException e =
        assertThrows(ModelFormatException.class, () -> LladaTokenizer.load(temp));
    assertTrue(e.getMessage().contains("tokenizer.json is missing"), e.getMessage());
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}

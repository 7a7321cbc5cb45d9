package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preference datasets: what is read, and every fault reported with its line and field. */
class PreferenceDataTest {

  private static LladaTokenizer tokenizer;

  @TempDir Path temp;

  @BeforeAll
  static void load() {
    tokenizer = LladaTokenizer.load(ZooModels.INSTRUCT);
  }

  @AfterAll
  static void close() {
    tokenizer.close();
  }

  private Path file(String... lines) throws Exception {
    Path f = temp.resolve("pairs-" + System.nanoTime() + ".jsonl");
    Files.writeString(f, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void aFileIsCheckedWithoutAModelAsItIsUploaded() throws Exception {
    String good =
        "{\"prompt\":\"sort 31:\",\"chosen\":\"13\",\"rejected\":\"31\"}\n\n"
            + "{\"prompt\":\"sort 31:\",\"chosen\":\"13\",\"rejected\":\"31\"}\n";
    // rows, not pairs: duplicates and lengths are a model's checks (load)
    assertEquals(
        2,
        PreferenceData.check(
            "upload", new java.io.ByteArrayInputStream(good.getBytes(StandardCharsets.UTF_8))));
    // with no model, a row of any length passes
    String longRow =
        "{\"prompt\":\"" + "9".repeat(5000) + "\",\"chosen\":\"a\",\"rejected\":\"b\"}";
    assertEquals(
        1,
        PreferenceData.check(
            "upload", new java.io.ByteArrayInputStream(longRow.getBytes(StandardCharsets.UTF_8))));
    PreferenceDataException e =
        assertThrows(
            PreferenceDataException.class,
            () ->
                PreferenceData.check(
                    "upload",
                    new java.io.ByteArrayInputStream(
                        "{\"prompt\":\"p\",\"chosen\":\"a\"}\n[1]\n"
                            .getBytes(StandardCharsets.UTF_8))));
    assertEquals(
        List.of(
            new PreferenceDataException.Fault(1, "rejected", "missing"),
            new PreferenceDataException.Fault(2, null, "not a JSON object")),
        e.faults());
    assertThrows(
        PreferenceDataException.class,
        () -> PreferenceData.check("upload", new java.io.ByteArrayInputStream(new byte[] {'\n'})));
  }

  @Test
  void pairsAreTokenizedWithTheChatTemplateAndTheTerminator() throws Exception {
    PreferenceData.Dataset d =
        PreferenceData.load(
            file(
                "{\"prompt\":\"sort 31:\",\"chosen\":\"13\",\"rejected\":\"31\",\"id\":7}",
                "",
                "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                    + "{\"role\":\"user\",\"content\":\"add 1+2=\"}],\"chosen\":\"3\",\"rejected\":\"4\"}"),
            tokenizer,
            128);
    assertEquals(2, d.pairs().size());
    PreferencePair first = d.pairs().get(0);
    assertEquals(1, first.line());
    assertArrayEquals(
        tokenizer.encode(
            ChatTemplate.render(List.of(new ChatTemplate.Message("user", "sort 31:")))),
        first.prompt());
    int eot = tokenizer.eotId();
    assertArrayEquals(concat(tokenizer.encode("13"), eot), first.chosen());
    assertArrayEquals(concat(tokenizer.encode("31"), eot), first.rejected());
    assertEquals(3, d.pairs().get(1).line());
    assertTrue(d.digest().matches("sha256:[0-9a-f]{64}"));
  }

  @Test
  void duplicatesAreDroppedAndTheDigestFollowsTheTokensNotTheSpelling() throws Exception {
    PreferenceData.Dataset a =
        PreferenceData.load(
            file(
                "{\"prompt\":\"sort 31:\",\"chosen\":\"13\",\"rejected\":\"31\"}",
                "{\"rejected\":\"31\",\"chosen\":\"13\",\"prompt\":\"sort 31:\"}",
                "{\"prompt\":\"sort 21:\",\"chosen\":\"12\",\"rejected\":\"21\"}"),
            tokenizer,
            128);
    assertEquals(2, a.pairs().size());
    assertEquals(1, a.duplicates());
    PreferenceData.Dataset b =
        PreferenceData.load(
            file(
                "{ \"chosen\" : \"13\", \"prompt\":\"sort 31:\", \"rejected\":\"31\" }",
                "{\"prompt\":\"sort 21:\",\"chosen\":\"12\",\"rejected\":\"21\"}"),
            tokenizer,
            128);
    assertEquals(a.digest(), b.digest());
    PreferenceData.Dataset c =
        PreferenceData.load(
            file("{\"prompt\":\"sort 21:\",\"chosen\":\"12\",\"rejected\":\"21\"}"),
            tokenizer,
            128);
    assertNotEquals(a.digest(), c.digest());
  }

  @Test
  void everyFaultIsNamedWithItsLineAndField() throws Exception {
    Path bad =
        file(
            "{\"prompt\":\"sort 31:\",\"chosen\":\"13\",\"rejected\":\"31\"}",
            "{\"prompt\":\"sort 31:\",\"chosen\":\"13\"",
            "{\"prompt\":\"sort 31:\",\"rejected\":\"31\"}",
            "{\"prompt\":\"sort 31:\",\"chosen\":\" 13\",\"rejected\":\"13 \"}",
            "{\"prompt\":\"" + "x".repeat(200) + "\",\"chosen\":\"1\",\"rejected\":\"2\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\","
                + "\"content\":\"b\"}],\"chosen\":\"1\",\"rejected\":\"2\"}",
            "{\"prompt\":5,\"chosen\":\"1\",\"rejected\":\"2\"}",
            "[1,2]",
            "{\"chosen\":\"1\",\"rejected\":\"2\"}",
            "{\"prompt\":\"p\",\"messages\":[],\"chosen\":\"1\",\"rejected\":\"2\"}",
            "{\"prompt\":\"p\",\"chosen\":\"\",\"rejected\":\"2\"}",
            "{\"messages\":[{\"role\":\"robot\",\"content\":\"a\"}],\"chosen\":\"1\",\"rejected\":\"2\"}");
    PreferenceDataException e =
        assertThrows(PreferenceDataException.class, () -> PreferenceData.load(bad, tokenizer, 128));
    List<String> faults = e.faults().stream().map(Object::toString).toList();
    assertEquals(
        List.of(
            "line 2: not valid JSON",
            "line 3: field 'chosen': missing",
            "line 4: field 'rejected': is the same as chosen",
            "line 5: field 'chosen': prompt and response are 225 tokens, more than the model's"
                + " context of 128",
            "line 6: field 'messages': must end with a user turn (the responses answer it)",
            "line 7: field 'prompt': must be a string",
            "line 8: not a JSON object",
            "line 9: field 'prompt': missing (or give messages)",
            "line 10: field 'prompt': give prompt or messages, not both",
            "line 11: field 'chosen': is empty",
            "line 12: field 'messages[0].role': must be system, user or assistant"),
        faults);
    assertTrue(e.getMessage().startsWith(bad + " is not a usable preference dataset: line 2:"));
  }

  @Test
  void anEmptyMissingOrBinaryFileIsRefused() throws Exception {
    assertEquals(
        "holds no pairs",
        assertThrows(
                PreferenceDataException.class,
                () -> PreferenceData.load(file("", " "), tokenizer, 128))
            .faults()
            .get(0)
            .message());
    assertEquals(
        "no such file",
        assertThrows(
                PreferenceDataException.class,
                () -> PreferenceData.load(temp.resolve("none.jsonl"), tokenizer, 128))
            .faults()
            .get(0)
            .message());
    Path binary = temp.resolve("binary.jsonl");
    Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0x00, 0x41, '\n'});
    assertEquals(
        "not UTF-8 text",
        assertThrows(
                PreferenceDataException.class, () -> PreferenceData.load(binary, tokenizer, 128))
            .faults()
            .get(0)
            .message());
  }

  private static int[] concat(int[] a, int last) {
    int[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = last;
    return out;
  }
}

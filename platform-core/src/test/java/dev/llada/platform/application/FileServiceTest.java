package dev.llada.platform.application;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.platform.domain.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FileService's checks of a JSON Lines upload and of a file name. */
class FileServiceTest {

  @TempDir Path temp;

  private Path file(byte[] content) throws Exception {
    return Files.write(Files.createTempFile(temp, "f", ".jsonl"), content);
  }

  private String refusal(String content, long maxLine) throws Exception {
    Path f = file(content.getBytes(StandardCharsets.UTF_8));
    InvalidRequestException e =
        assertThrows(
            InvalidRequestException.class,
            () ->
                assertTimeoutPreemptively(
                    Duration.ofSeconds(5), () -> JsonLines.check(f, maxLine)));
    assertEquals("invalid_file_format", e.code());
    return e.getMessage();
  }

  @Test
  void jsonLinesAreObjectsOneALineBlankLinesAndCrlfAllowed() throws Exception {
    Path ok = file("{\"a\":1}\r\n\n  \n{\"b\":[1,{\"c\":null}]}".getBytes(StandardCharsets.UTF_8));
    assertDoesNotThrow(() -> JsonLines.check(ok, 100));
    // a truncated object is refused, and quickly (Parsson's skipObject would never return)
    assertTrue(refusal("{\"a\":1}\n{\"a\":\n", 100).startsWith("Line 2 "));
    assertTrue(refusal("{\"a\":1}\n{\"a\":[1,", 100).startsWith("Line 2 "));
    assertTrue(refusal("[1,2]\n", 100).contains("not a JSON object"));
    assertTrue(refusal("{\"a\":1} {\"b\":2}\n", 100).startsWith("Line 1 "));
    assertTrue(refusal("\n\n", 100).contains("no JSON object"));
    assertTrue(refusal("{\"a\":\"" + "x".repeat(200) + "\"}\n", 100).contains("more than 100"));
    Path latin1 = file(new byte[] {'{', '"', (byte) 0xe9, '"', ':', '1', '}'});
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> JsonLines.check(latin1, 100));
    assertTrue(e.getMessage().contains("not UTF-8"), e.getMessage());
  }

  @Test
  void fileNamesKeepTheirLastSegmentAndRefuseControlCharacters() {
    assertEquals("data.jsonl", FileService.filename("C:\\fakepath\\data.jsonl"));
    assertEquals("data.jsonl", FileService.filename("/tmp/x/ data.jsonl "));
    assertEquals(
        "missing_file",
        assertThrows(InvalidRequestException.class, () -> FileService.filename(null)).code());
    assertEquals(
        "invalid_filename",
        assertThrows(InvalidRequestException.class, () -> FileService.filename("a\u0007b")).code());
    assertEquals(
        "invalid_filename",
        assertThrows(InvalidRequestException.class, () -> FileService.filename("x".repeat(256)))
            .code());
    assertEquals(
        "invalid_filename",
        assertThrows(InvalidRequestException.class, () -> FileService.filename("dir/")).code());
  }
}

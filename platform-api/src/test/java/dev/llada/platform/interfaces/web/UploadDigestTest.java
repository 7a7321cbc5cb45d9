package dev.llada.platform.interfaces.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An upload's idempotency digest ignores its boundary, even across the reader's chunks. */
class UploadDigestTest {

  @TempDir Path temp;

  private String digest(String boundary, byte[] content) throws Exception {
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n";
    byte[] head = body.getBytes(StandardCharsets.ISO_8859_1);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + content.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(content, 0, all, head.length, content.length);
    System.arraycopy(tail, 0, all, head.length + content.length, tail.length);
    Path file = Files.write(temp.resolve(boundary), all);
    return UploadDigest.of(file, boundary);
  }

  @Test
  void boundariesDoNotCountButEveryOtherByteDoes() throws Exception {
    byte[] content = new byte[(1 << 16) * 3 + 5]; // spans the reader's 64 KiB chunks
    new Random(3).nextBytes(content);
    // boundaries of different lengths, one landing across a chunk edge
    String a = digest("x".repeat(40), content);
    assertEquals(a, digest("----WebKitFormBoundary7MA4YWxkTrZu0gW", content));
    assertEquals(a, digest("q7", content));
    content[70_000] ^= 1;
    assertNotEquals(a, digest("x".repeat(40), content));
  }

  @Test
  void theBoundaryIsReadFromTheContentType() {
    assertEquals("abc", UploadDigest.boundary("multipart/form-data; boundary=abc"));
    assertEquals("a b", UploadDigest.boundary("multipart/form-data; BOUNDARY=\"a b\"; x=1"));
    assertNull(UploadDigest.boundary("application/json"));
    assertNull(UploadDigest.boundary(null));
  }
}

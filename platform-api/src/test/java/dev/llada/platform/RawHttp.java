package dev.llada.platform;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no well-behaved client sends: any method, any bytes in
 * the request line and headers, chunked bodies of any size. The request is written by a second
 * thread while the response is read, so an early answer (413 after the cap) is seen even though the
 * server stops reading. Every request asks for {@code Connection: close}.
 */
final class RawHttp {

  private RawHttp() {}

  /** A request as bytes on the wire. */
  record Request(
      String method,
      String target,
      List<String[]> headers,
      byte[] body,
      boolean chunked,
      byte[] rawHead) {

    static Request of(String method, String target, List<String[]> headers, byte[] body) {
      return new Request(method, target, headers, body, false, null);
    }

    /** The head as sent: the request line, the headers, a blank line. */
    byte[] head() {
      if (rawHead != null) {
        return rawHead;
      }
      StringBuilder h = new StringBuilder();
      h.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      h.append("Host: 127.0.0.1:").append(ApiClient.HTTP_PORT).append("\r\n");
      if (headers.stream().noneMatch(x -> x[0].equalsIgnoreCase("Connection"))) {
        h.append("Connection: close\r\n");
      }
      for (String[] header : headers) {
        h.append(header[0]).append(": ").append(header[1]).append("\r\n");
      }
      boolean ownEncoding =
          headers.stream().anyMatch(x -> x[0].equalsIgnoreCase("Transfer-Encoding"));
      if (body != null) {
        if (chunked) {
          if (!ownEncoding) {
            h.append("Transfer-Encoding: chunked\r\n");
          }
        } else {
          h.append("Content-Length: ").append(body.length).append("\r\n");
        }
      }
      h.append("\r\n");
      return h.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  /** A response; {@code status} is -1 when none came (the connection closed or timed out). */
  record Response(
      int status, Map<String, String> headers, byte[] body, String failure, byte[] raw) {

    Response(int status, Map<String, String> headers, byte[] body, String failure) {
      this(status, headers, body, failure, body);
    }

    /** Everything that came back on the connection, as text (pipelined answers included). */
    String all() {
      return new String(raw, StandardCharsets.ISO_8859_1);
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  static Response send(Request request, int timeoutMillis) throws InterruptedException {
    try (Socket socket = new Socket("127.0.0.1", ApiClient.HTTP_PORT)) {
      socket.setSoTimeout(timeoutMillis);
      OutputStream out = socket.getOutputStream();
      Thread writer =
          new Thread(
              () -> {
                try {
                  out.write(request.head());
                  if (request.body() != null) {
                    writeBody(out, request.body(), request.chunked());
                  }
                  out.flush();
                } catch (IOException stoppedReading) {
                  // the server answered and closed before taking the whole body: expected
                }
              });
      writer.setDaemon(true);
      writer.start();
      byte[] raw;
      String failure = null;
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      try {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) >= 0; ) {
          all.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        failure = "no complete answer within " + timeoutMillis + " ms";
      } catch (IOException e) {
        failure = e.toString(); // a reset after the answer: keep what came
      }
      writer.join(timeoutMillis);
      raw = all.toByteArray();
      return parse(raw, failure);
    } catch (IOException e) {
      return new Response(-1, Map.of(), new byte[0], e.toString());
    }
  }

  private static void writeBody(OutputStream out, byte[] body, boolean chunked) throws IOException {
    if (!chunked) {
      out.write(body);
      return;
    }
    int chunk = 64 * 1024;
    for (int at = 0; at < body.length; at += chunk) {
      int n = Math.min(chunk, body.length - at);
      out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, at, n);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  private static Response parse(byte[] raw, String failure) {
    int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
    if (end < 0) {
      return new Response(
          -1, Map.of(), raw, failure == null ? "no complete response head" : failure);
    }
    String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status;
    try {
      status = Integer.parseInt(statusLine[1]);
    } catch (RuntimeException e) {
      return new Response(-1, Map.of(), raw, "bad status line: " + lines[0]);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    byte[] body = java.util.Arrays.copyOfRange(raw, end + 4, raw.length);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    } else if (headers.containsKey("content-length")) {
      int length = Integer.parseInt(headers.get("content-length"));
      if (length < body.length) {
        body = java.util.Arrays.copyOf(body, length);
      }
    }
    return new Response(status, headers, body, failure, raw);
  }

  private static byte[] dechunk(byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int at = 0;
    while (at < body.length) {
      int eol = indexOf(body, new byte[] {'\r', '\n'}, at);
      if (eol < 0) {
        break;
      }
      String size = new String(body, at, eol - at, StandardCharsets.US_ASCII).split(";")[0].trim();
      int n = size.isEmpty() ? 0 : Integer.parseInt(size, 16);
      if (n == 0) {
        break;
      }
      out.write(body, eol + 2, Math.min(n, body.length - eol - 2));
      at = eol + 2 + n + 2;
    }
    return out.toByteArray();
  }

  private static int indexOf(byte[] data, byte[] pattern, int from) {
    outer:
    for (int i = from; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}

package dev.llada.platform.interfaces.web;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** The request with its body replayed from memory or from its spool (EdgeFilter). */
final class ReplayedRequest extends HttpServletRequestWrapper {
  private final Body body;
  private final long length;

  ReplayedRequest(HttpServletRequest request, Body body, long length) {
    super(request);
    this.body = body;
    this.length = length;
  }

  @Override
  public ServletInputStream getInputStream() throws IOException {
    InputStream in = body.open();
    return new ServletInputStream() {
      private boolean finished;

      @Override
      public int read() throws IOException {
        int b = in.read();
        finished = b < 0;
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        finished = n < 0;
        return n;
      }

      @Override
      public boolean isFinished() {
        return finished;
      }

      @Override
      public void close() throws IOException {
        in.close();
      }

      @Override
      public boolean isReady() {
        return true;
      }

      @Override
      public void setReadListener(ReadListener listener) {
        try {
          listener.onDataAvailable();
          listener.onAllDataRead();
        } catch (IOException e) {
          listener.onError(e);
        }
      }
    };
  }

  @Override
  public BufferedReader getReader() {
    java.nio.charset.Charset charset = StandardCharsets.UTF_8;
    try {
      if (getCharacterEncoding() != null) {
        charset = java.nio.charset.Charset.forName(getCharacterEncoding());
      }
    } catch (IllegalArgumentException unknown) {
      // a charset name that names none: UTF-8, as the API reads every body
    }
    try {
      return new BufferedReader(new InputStreamReader(body.open(), charset));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Override
  public int getContentLength() {
    return length > Integer.MAX_VALUE ? -1 : (int) length;
  }

  @Override
  public long getContentLengthLong() {
    return length;
  }

  /** Where a replayed body comes from: opened anew for each reader. */
  @FunctionalInterface
  interface Body {
    InputStream open() throws IOException;
  }
}

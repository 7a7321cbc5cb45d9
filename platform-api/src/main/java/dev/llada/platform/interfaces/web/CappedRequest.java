package dev.llada.platform.interfaces.web;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;

/**
 * The request with its body streamed through a count (EdgeFilter's uploads): reading past {@code
 * cap} bytes fails with {@link BodyTooLargeException}, and a multipart body with more than {@link
 * #MAX_PARTS} parts (its delimiters counted as they pass, Knuth–Morris–Pratt across reads) with
 * {@link TooManyPartsException}, before the bytes beyond reach any reader: the multipart reader
 * never builds millions of parts of a hostile body.
 */
final class CappedRequest extends HttpServletRequestWrapper {

  /** The most parts an upload may have (it needs two: file and purpose). */
  static final int MAX_PARTS = 8;

  private final long cap;
  private final byte[] delimiter;
  private ServletInputStream capped;

  /** {@code boundary} null: no part count. */
  CappedRequest(HttpServletRequest request, long cap, String boundary) {
    super(request);
    this.cap = cap;
    this.delimiter =
        boundary == null
            ? null
            : ("--" + boundary).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  @Override
  public synchronized ServletInputStream getInputStream() throws IOException {
    if (capped == null) {
      ServletInputStream in = super.getInputStream();
      capped =
          new ServletInputStream() {
            private long read;
            private final int[] fail = delimiter == null ? null : UploadDigest.failure(delimiter);
            private int matched;
            private int delimiters;

            private int count(byte[] b, int off, int n) throws IOException {
              if (n > 0) {
                read += n;
                if (read > cap) {
                  throw new BodyTooLargeException(cap);
                }
                if (delimiter != null) {
                  scan(b, off, n);
                }
              }
              return n;
            }

            private void scan(byte[] b, int off, int n) throws IOException {
              for (int i = off; i < off + n; i++) {
                while (matched > 0 && b[i] != delimiter[matched]) {
                  matched = fail[matched - 1];
                }
                if (b[i] == delimiter[matched]) {
                  matched++;
                }
                if (matched == delimiter.length) {
                  matched = fail[matched - 1];
                  // n parts have n + 1 delimiters, the last one closing
                  if (++delimiters > MAX_PARTS + 1) {
                    throw new TooManyPartsException(MAX_PARTS);
                  }
                }
              }
            }

            @Override
            public int read() throws IOException {
              int b = in.read();
              if (b >= 0) {
                count(new byte[] {(byte) b}, 0, 1);
              }
              return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              return count(b, off, in.read(b, off, len));
            }

            @Override
            public boolean isFinished() {
              return in.isFinished();
            }

            @Override
            public boolean isReady() {
              return in.isReady();
            }

            @Override
            public void setReadListener(ReadListener listener) {
              in.setReadListener(listener);
            }

            @Override
            public void close() throws IOException {
              in.close();
            }
          };
    }
    return capped;
  }

  /** A multipart body with more parts than an upload may have. */
  static final class TooManyPartsException extends IOException {
    private static final long serialVersionUID = 1L;

    TooManyPartsException(int max) {
      super("The upload has more than " + max + " parts; it takes file and purpose.");
    }
  }
}

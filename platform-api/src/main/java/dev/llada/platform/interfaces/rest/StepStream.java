package dev.llada.platform.interfaces.rest;

import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PlatformException;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.application.RequestLog;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import dev.llada.worker.GenerationResult;
import jakarta.enterprise.concurrent.ManagedExecutorService;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * An admitted generation streamed as SSE: it runs on a managed thread while the request thread
 * writes each denoising step as it happens. After every step the client's connection is checked
 * ({@link ClientConnection}); once the client has gone — or a write fails — the generation stops at
 * its next step and the inference service settles it as DISCONNECTED with the steps that ran. A
 * failure after the headers left becomes an error event, then {@code [DONE]}.
 */
final class StepStream {

  private static final Logger LOG = Logger.getLogger(StepStream.class.getName());

  /** What a stream does with its events. */
  interface Writer {
    /** One denoising step, on the request thread. */
    void step(StepEvent event) throws IOException;

    /** The finished generation, before {@code [DONE]}. */
    void done(GenerationResult result) throws IOException;
  }

  private final OutputStream output;

  StepStream(OutputStream output) {
    this.output = output;
  }

  /** Writes {@code data: <payload>} and flushes it to the client. */
  void send(String payload) throws IOException {
    output.write(("data: " + payload + "\n\n").getBytes(StandardCharsets.UTF_8));
    output.flush();
  }

  /** Writes an SSE comment (ignored by clients; it makes a departed client's write fail). */
  void comment(String text) throws IOException {
    output.write((": " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    output.flush();
  }

  /** Runs the generation, writes it, and completes the request's log entry with how it ended. */
  void run(
      ManagedExecutorService executor,
      InferenceService inference,
      Reservation reservation,
      PreparedRequest prepared,
      BooleanSupplier connected,
      RequestLog log,
      java.util.UUID requestId,
      Writer writer) {
    long start = System.nanoTime();
    BlockingQueue<StepEvent> events = new LinkedBlockingQueue<>();
    AtomicBoolean gone = new AtomicBoolean();
    Future<GenerationResult> run =
        executor.submit(
            () ->
                inference.generate(
                    reservation,
                    prepared,
                    events::add,
                    () -> gone.get() || !connected.getAsBoolean()));
    try {
      while (true) {
        StepEvent e = events.poll(50, TimeUnit.MILLISECONDS);
        if (e == null) {
          if (run.isDone() && events.isEmpty()) {
            break;
          }
          continue;
        }
        writer.step(e);
        if (!connected.getAsBoolean()) {
          throw new IOException("the client closed the connection");
        }
      }
      GenerationResult result;
      try {
        result = run.get();
      } catch (ExecutionException failed) {
        Throwable cause = failed.getCause();
        if (cause instanceof PlatformException pe) {
          send(ErrorEnvelope.of(pe.status(), pe.code(), pe.param(), pe.getMessage()).toJson());
        } else {
          LOG.log(Level.SEVERE, "streamed generation failed", cause);
          send(ErrorEnvelope.internalError(500).toJson());
        }
        send("[DONE]");
        log.complete(requestId, 500, 0, 0, millis(start));
        return;
      }
      writer.done(result);
      send("[DONE]");
      log.complete(
          requestId,
          200,
          result.completionIds().length,
          prepared.unitsFor(result.steps()),
          millis(start));
    } catch (IOException | InterruptedException left) {
      gone.set(true);
      if (left instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      try {
        run.get(); // stops at its next step and settles itself
      } catch (InterruptedException | ExecutionException expected) {
        // ClientGoneException: settled as DISCONNECTED
      }
      log.complete(requestId, 499, 0, 0, millis(start));
    }
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}

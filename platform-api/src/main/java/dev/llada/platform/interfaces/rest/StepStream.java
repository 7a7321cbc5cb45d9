package dev.llada.platform.interfaces.rest;

import dev.llada.core.sampling.StepEvent;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.application.RequestLog;
import dev.llada.platform.application.Reservation;
import dev.llada.platform.domain.ClientGoneException;
import dev.llada.platform.domain.PlatformException;
import dev.llada.platform.interfaces.rest.dto.ErrorEnvelope;
import dev.llada.worker.GenerationResult;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
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

  /**
   * Runs the generation, writes it, and completes the request's log entry with how it ended. The
   * request settles only after its last event and {@code [DONE]} were written: the generation hands
   * its result over and waits for the writing (InferenceService's answer step), so a stream that
   * cannot be finished is never billed as a success — DISCONNECTED when the client left, ERROR when
   * the platform failed.
   */
  void run(
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
    CompletableFuture<GenerationResult> finished = new CompletableFuture<>();
    CompletableFuture<Void> written = new CompletableFuture<>();
    // no thread of its own: the generation runs on the worker, its answer step on the settling
    // executor (a blocked executor thread per stream would starve the settlements of all)
    CompletableFuture<GenerationResult> run =
        inference.generateAsync(
            reservation,
            prepared,
            events::add,
            () -> gone.get() || !connected.getAsBoolean(),
            r -> {
              finished.complete(r);
              try {
                written.get();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClientGoneException(r.steps());
              } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re
                    ? re
                    : new ClientGoneException(r.steps());
              }
              return r;
            });
    try {
      while (true) {
        StepEvent e = events.poll(50, TimeUnit.MILLISECONDS);
        if (e == null) {
          if (events.isEmpty() && (finished.isDone() || run.isDone())) {
            break;
          }
          continue;
        }
        writer.step(e);
        if (!connected.getAsBoolean()) {
          throw new IOException("the client closed the connection");
        }
      }
      if (!finished.isDone()) { // the generation failed: its error, then [DONE]
        int status = 500;
        try {
          run.get();
        } catch (ExecutionException failed) {
          Throwable cause = failed.getCause();
          if (cause instanceof PlatformException pe) {
            status = pe.status();
            send(ErrorEnvelope.of(pe.status(), pe.code(), pe.param(), pe.getMessage()).toJson());
          } else {
            LOG.log(Level.SEVERE, "streamed generation failed", cause);
            send(ErrorEnvelope.internalError(500).toJson());
          }
          send("[DONE]");
        }
        log.complete(requestId, status, 0, 0, millis(start));
        return;
      }
      GenerationResult result = finished.join();
      writer.done(result);
      send("[DONE]");
      written.complete(null);
      run.get(); // settled SUCCESS
      log.complete(
          requestId, 200, result.completionIds().length, result.computeUnits(), millis(start));
    } catch (IOException | InterruptedException | RuntimeException | ExecutionException left) {
      gone.set(true);
      if (left instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      boolean clientLeft = left instanceof IOException || left instanceof InterruptedException;
      if (!clientLeft) {
        LOG.log(Level.SEVERE, "writing a stream failed", left);
      }
      written.completeExceptionally(
          clientLeft
              ? new ClientGoneException(finished.isDone() ? finished.join().steps() : 0)
              : new IllegalStateException("the stream could not be written", left));
      try {
        run.get(); // stops at its next step, or ends at once, and settles itself
      } catch (InterruptedException | ExecutionException expected) {
        // settled as DISCONNECTED (the client left) or ERROR (the platform failed)
      }
      log.complete(requestId, clientLeft ? 499 : 500, 0, 0, millis(start));
    } finally {
      written.completeExceptionally(new ClientGoneException(0)); // no-op once completed
    }
  }

  private static long millis(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}

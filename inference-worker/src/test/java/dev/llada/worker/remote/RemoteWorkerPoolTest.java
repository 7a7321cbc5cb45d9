package dev.llada.worker.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.sampling.Acceleration;
import dev.llada.core.sampling.ParallelDecoding;
import dev.llada.core.sampling.Remasking;
import dev.llada.core.sampling.SamplingConfig;
import dev.llada.core.sampling.StepEvent;
import dev.llada.core.weights.ModelDirectory;
import dev.llada.worker.GenerationCancelledException;
import dev.llada.worker.GenerationJob;
import dev.llada.worker.GenerationResult;
import dev.llada.worker.LikelihoodJob;
import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.LocalWorkerPool;
import dev.llada.worker.ModelRef;
import dev.llada.worker.WorkerBusyException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The platform's remote worker port against a real {@link WorkerServer} on loopback, each checked
 * against the same job run directly on the in-process worker (the slow obvious path): the same
 * tokens, steps and likelihood; cancellation across the wire; a dead worker passed over; the
 * protocol's credentials.
 */
class RemoteWorkerPoolTest {

  private static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");
  private static final String SECRET = "remote-worker-pool-test-secret-0123456789";

  private static LocalWorkerPool local;
  private static WorkerServer server;
  private static RemoteWorkerPool remote;
  private static ModelRef model;

  @BeforeAll
  static void start() throws Exception {
    model =
        new ModelRef("llada-tiny-instruct", INSTRUCT, ModelDirectory.describe(INSTRUCT).digest());
    local = new LocalWorkerPool(Thread::new, "cpu", 1L << 30);
    server = new WorkerServer(new InetSocketAddress("127.0.0.1", 0), local, SECRET);
    server.start();
    int port = server.port();
    // a dead worker listed first (nothing listens on its port): it must be passed over
    remote =
        new RemoteWorkerPool(
            () ->
                List.of(
                    new WorkerDirectory.Worker(
                        "dead", "http://127.0.0.1:1", WorkerWire.PROTOCOL, false, 0, Set.of(), 0),
                    new WorkerDirectory.Worker(
                        "live",
                        "http://127.0.0.1:" + port,
                        WorkerWire.PROTOCOL,
                        false,
                        5,
                        Set.of(),
                        0)),
            SECRET);
  }

  @AfterAll
  static void stop() {
    remote.close();
    server.close();
    local.close();
  }

  private static GenerationJob job(
      int steps, Acceleration acceleration, StepEvent.Listener listener, AtomicBoolean cancelled) {
    int[] prompt = local.encode(model, "sort 4213:");
    return new GenerationJob(
        model,
        prompt,
        new SamplingConfig(steps, steps, steps, 0.0, 0.0, Remasking.LOW_CONFIDENCE, false, false),
        11,
        listener,
        cancelled::get,
        acceleration,
        "t",
        1);
  }

  @Test
  void aModelGoesToAWorkerThatHoldsItThenToOneWithTheMemoryToLoadIt() {
    long weights = 4L * 1_000_000;
    WorkerDirectory.Worker holds =
        new WorkerDirectory.Worker(
            "a", "u", WorkerWire.PROTOCOL, false, 9, Set.of(model.digest()), 0);
    WorkerDirectory.Worker roomy =
        new WorkerDirectory.Worker("b", "u", WorkerWire.PROTOCOL, false, 0, Set.of(), weights);
    WorkerDirectory.Worker full =
        new WorkerDirectory.Worker("c", "u", WorkerWire.PROTOCOL, false, 0, Set.of(), weights - 1);
    assertEquals(0, RemoteWorkerPool.placement(holds, model, weights));
    assertEquals(1, RemoteWorkerPool.placement(roomy, model, weights));
    assertEquals(2, RemoteWorkerPool.placement(full, model, weights));
    assertEquals(0, RemoteWorkerPool.placement(full, null, weights), "no model: any worker");
  }

  @Test
  void aRemoteGenerationIsTheLocalOneStepForStep() throws Exception {
    for (Acceleration a :
        new Acceleration[] {
          null,
          new Acceleration(
              new ParallelDecoding(ParallelDecoding.Rule.THRESHOLD, 0.9),
              Acceleration.Cache.DUAL,
              true,
              false)
        }) {
      List<StepEvent> direct = new ArrayList<>();
      List<StepEvent> wired = new ArrayList<>();
      GenerationResult expected =
          local.generate(job(8, a, direct::add, new AtomicBoolean())).get(60, TimeUnit.SECONDS);
      GenerationResult got =
          remote.generate(job(8, a, wired::add, new AtomicBoolean())).get(60, TimeUnit.SECONDS);
      assertArrayEquals(expected.completionIds(), got.completionIds());
      assertEquals(expected.text(), got.text());
      assertEquals(expected.finishReason(), got.finishReason());
      assertEquals(expected.nfe(), got.nfe());
      assertEquals(expected.computeUnits(), got.computeUnits());
      assertEquals(direct.size(), wired.size());
      for (int i = 0; i < direct.size(); i++) {
        assertArrayEquals(direct.get(i).positions()[0], wired.get(i).positions()[0]);
        assertArrayEquals(direct.get(i).tokens()[0], wired.get(i).tokens()[0]);
        assertEquals(direct.get(i).queryPositions(), wired.get(i).queryPositions());
      }
    }
  }

  @Test
  void aRemoteLikelihoodIsTheLocalOne() throws Exception {
    int[] context = local.encode(model, "sort 21:");
    int[] continuation = local.encode(model, " 12");
    LikelihoodResult expected =
        local.loglikelihood(new LikelihoodJob(model, context, continuation, 8, 4, 0, 5)).get();
    LikelihoodResult got =
        remote.loglikelihood(new LikelihoodJob(model, context, continuation, 8, 4, 0, 5)).get();
    assertEquals(expected.logLikelihood(), got.logLikelihood(), 1e-9);
    assertEquals(expected.nfe(), got.nfe());
  }

  @Test
  void aCancelReachesTheWorkerAndTheJobStopsWithTheStepsItRan() throws Exception {
    AtomicBoolean cancelled = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger seen =
        new java.util.concurrent.atomic.AtomicInteger();
    var future =
        remote.generate(
            job(
                96,
                null,
                e -> {
                  if (seen.incrementAndGet() == 3) {
                    cancelled.set(true);
                  }
                },
                cancelled));
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> future.get(60, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof GenerationCancelledException, e.getCause().toString());
    GenerationCancelledException c = (GenerationCancelledException) e.getCause();
    assertTrue(c.stepsRun() >= 3 && c.stepsRun() < 96, "stopped after " + c.stepsRun());
  }

  @Test
  void withNoLiveWorkerTheJobIsRefusedAsBusy() {
    RemoteWorkerPool none = new RemoteWorkerPool(List::of, SECRET);
    try {
      org.junit.jupiter.api.Assertions.assertThrows(
          WorkerBusyException.class, () -> none.checkRoom("t"));
      ExecutionException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              ExecutionException.class,
              () ->
                  none.generate(job(4, null, StepEvent.Listener.NONE, new AtomicBoolean())).get());
      assertTrue(e.getCause() instanceof WorkerBusyException, e.getCause().toString());
    } finally {
      none.close();
    }
  }

  @Test
  void credentialsProveTheSecretAndCannotBeMovedOrAged() {
    String auth = WorkerWire.authorization(SECRET, "POST", "/worker/v1/generate");
    long now = System.currentTimeMillis();
    String nonce = WorkerWire.verify(SECRET, auth, "POST", "/worker/v1/generate", now);
    assertNotNull(nonce);
    assertNull(WorkerWire.verify(SECRET, auth, "POST", "/worker/v1/drain", now), "another path");
    assertNull(
        WorkerWire.verify(SECRET, auth, "GET", "/worker/v1/generate", now), "another method");
    assertNull(
        WorkerWire.verify("x".repeat(40), auth, "POST", "/worker/v1/generate", now), "another key");
    assertNull(
        WorkerWire.verify(SECRET, auth, "POST", "/worker/v1/generate", now + 61_000), "too old");
    assertNull(WorkerWire.verify(SECRET, auth + "0", "POST", "/worker/v1/generate", now));
    assertNull(WorkerWire.verify(SECRET, "garbage", "POST", "/worker/v1/generate", now));
    assertNull(WorkerWire.verify(SECRET, null, "POST", "/worker/v1/generate", now));
    assertTrue(WorkerWire.proves(SECRET, auth, WorkerWire.proof(SECRET, nonce)));
    assertTrue(!WorkerWire.proves(SECRET, auth, WorkerWire.proof("y".repeat(40), nonce)));
    assertTrue(!WorkerWire.proves(SECRET, auth, null));
  }
}

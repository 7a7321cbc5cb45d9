package dev.llada.core.sampling;

import dev.llada.core.model.MaskPredictor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One generation request between the steps of a {@link StepBatcher}: its canvas, where it is in its
 * blocks, its own random stream and, with a KV cache, which rows of a shared cache hold its keys
 * and values. The state machine is the samplers' loop for one prompt — the reference sampler's
 * (generate.py, {@code acceleration} null) or the {@link FastSampler}'s — cut at step boundaries,
 * so that a request can join and leave a batch between any two steps; stepped alone it gives what
 * {@code generate} gives for that prompt. Not thread-safe.
 */
public final class Denoising {

  /** What the next forward computes for this request. */
  enum Kind {
    FULL,
    REFRESH,
    REUSE,
    UPDATE
  }

  final int[] x;
  final boolean[] promptIndex;
  final int promptLength;
  final SamplingConfig config;
  final Acceleration acceleration;
  final RandomGenerator random;
  private final SpecialTokens special;
  private final StepEvent.Listener listener;

  private int block;
  private int inBlock;
  private int step;
  private int[] quota;
  private int nfe;
  private long queryPositions;
  private boolean done;
  private boolean left;
  private RuntimeException failure;

  /** With a KV cache: which shared cache and rows hold this request's keys and values. */
  StepBatcher.Slot slot;

  /**
   * A request for one prompt.
   *
   * @param prompt the prompt's ids
   * @param acceleration the fast sampler's switches; null for the reference sampler
   * @param random its own source of Gumbel noise and random remasking scores
   * @param listener receives each of its steps
   */
  public Denoising(
      int[] prompt,
      SamplingConfig config,
      Acceleration acceleration,
      RandomGenerator random,
      StepEvent.Listener listener,
      MaskPredictor model,
      SpecialTokens special) {
    if (acceleration != null
        && acceleration.parallel() != null
        && config.remasking() != Remasking.LOW_CONFIDENCE) {
      throw new IllegalArgumentException(
          "parallel decoding ranks by confidence: it needs low_confidence remasking");
    }
    if (acceleration != null
        && acceleration.cache() != Acceleration.Cache.NONE
        && !model.caches()) {
      throw new IllegalArgumentException(
          "the " + acceleration.cache().wireName() + " cache needs a forward that keeps one");
    }
    DiffusionCanvas canvas =
        new DiffusionCanvas(new int[][] {prompt}, null, config, model, special);
    this.x = canvas.x[0];
    this.promptIndex = canvas.promptIndex[0];
    this.promptLength = canvas.promptLength;
    this.config = config;
    this.acceleration = acceleration;
    this.random = random;
    this.special = special;
    this.listener = listener == null ? StepEvent.Listener.NONE : listener;
    this.quota = quotaOf(0);
    settle();
  }

  /** Finished, left the batch ({@link StepBatcher#leave}) or failed: it takes no more steps. */
  public boolean done() {
    return done || left || failure != null;
  }

  /** Whether it left before it was done. */
  public boolean left() {
    return left;
  }

  /** What stopped it (its listener threw), or null. */
  public RuntimeException failure() {
    return failure;
  }

  void leave() {
    left = true;
  }

  /** Forwards run for this request. */
  public int nfe() {
    return nfe;
  }

  /** Query positions its forwards computed so far (what it is billed). */
  public long queryPositions() {
    return queryPositions;
  }

  /** The result so far (final once {@link #done()}). */
  public Generation result() {
    return new Generation(new int[][] {x.clone()}, promptLength, nfe, queryPositions);
  }

  /** Canvas positions. */
  int length() {
    return x.length;
  }

  /** Rows this request puts in a forward: two with guidance (conditional, unconditional). */
  int rows() {
    return config.cfgScale() > 0 ? 2 : 1;
  }

  int lo() {
    return promptLength + block * config.blockLength();
  }

  int hi() {
    return lo() + config.blockLength();
  }

  /** What its next forward is. */
  Kind kind() {
    if (acceleration == null || acceleration.cache() == Acceleration.Cache.NONE) {
      return Kind.FULL;
    }
    if (inBlock > 0) {
      return Kind.REUSE;
    }
    return block > 0 && acceleration.incrementalRefresh() && slot != null
        ? Kind.UPDATE
        : Kind.REFRESH;
  }

  /** The first position its next step proposes candidates for; they end at {@link #hi()}. */
  int from() {
    int first = -1;
    for (int i = 0; i < hi(); i++) {
      if (x[i] == special.maskId()) {
        first = i;
        break;
      }
    }
    if (first < 0) {
      first = lo(); // the reference sampler's forward with nothing left before hi (§2.2)
    }
    Kind kind = kind();
    return kind == Kind.REUSE || kind == Kind.UPDATE ? Math.max(first, queryFrom()) : first;
  }

  /**
   * Where a cached forward's query starts: the block, or for an incremental refresh the block just
   * decoded.
   */
  int queryFrom() {
    return kind() == Kind.UPDATE ? lo() - config.blockLength() : lo();
  }

  /**
   * Where a cached forward's query ends: the block (dual), or the end of the canvas (prefix, and
   * every incremental refresh).
   */
  int queryTo() {
    return acceleration.cache() == Acceleration.Cache.DUAL && kind() == Kind.REUSE
        ? hi()
        : x.length;
  }

  /** How many positions its cached steps in this block query: 0 without a cache. */
  int cachedQueryLength() {
    if (acceleration == null || acceleration.cache() == Acceleration.Cache.NONE) {
      return 0;
    }
    return acceleration.cache() == Acceleration.Cache.DUAL ? config.blockLength() : x.length - lo();
  }

  /** Its rows of a forward: the canvas, and with guidance its unconditional copy. */
  int[][] forwardRows(StepCandidates candidates) {
    return rows() == 1
        ? new int[][] {x}
        : new int[][] {x, candidates.unconditional(x, promptIndex)};
  }

  /**
   * Commits what its sampler takes of the ranked candidates of one forward that computed {@code
   * computed} positions of each of its rows, and moves on.
   */
  void commit(List<StepCandidates.Candidate> ranked, int computed) {
    int k;
    if (acceleration == null || acceleration.parallel() == null) {
      k = Math.min(quota[inBlock], ranked.size());
    } else {
      int accepted =
          acceleration
              .parallel()
              .accepted(ranked.stream().map(StepCandidates.Candidate::confidence).toList());
      k = Math.min(ranked.size(), Math.max(accepted, quota[inBlock]));
    }
    int[][] positions = new int[1][];
    int[][] tokens = new int[1][];
    double[][] confidences = new double[1][];
    StepCandidates.commit(new int[][] {x}, 0, ranked.subList(0, k), positions, tokens, confidences);
    long units = (long) computed * rows();
    nfe++;
    queryPositions += units;
    StepEvent event = new StepEvent(step, block, positions, tokens, confidences, units);
    step++;
    inBlock++;
    settle(); // the state has moved on before anyone hears of the step
    try {
      listener.onStep(event);
    } catch (RuntimeException e) { // its own listener's failure stops this request alone
      failure = e;
    }
  }

  /** Moves past finished blocks (each sampler's rule), and notices the end. */
  private void settle() {
    if (acceleration == null) {
      if (inBlock == config.stepsPerBlock()) {
        block++;
        inBlock = 0;
        quota = block < config.numBlocks() ? quotaOf(block) : null;
      }
      done = block >= config.numBlocks();
      return;
    }
    while (true) {
      if (acceleration.earlyStop() && Generation.answerFixed(x, promptLength, special)) {
        for (int i = promptLength; i < x.length; i++) {
          if (x[i] == special.maskId()) {
            x[i] = special.eosId();
          }
        }
        done = true;
        return;
      }
      if (block >= config.numBlocks()) {
        done = true;
        return;
      }
      if (inBlock < config.stepsPerBlock() && masksIn(lo(), hi()) > 0) {
        return;
      }
      block++;
      inBlock = 0;
      if (block < config.numBlocks()) {
        quota = quotaOf(block);
      }
    }
  }

  private int[] quotaOf(int b) {
    int lo = promptLength + b * config.blockLength();
    return TransferSchedule.numTransferTokens(
        masksIn(lo, lo + config.blockLength()), config.stepsPerBlock());
  }

  private int masksIn(int lo, int hi) {
    int n = 0;
    for (int i = lo; i < hi; i++) {
      n += x[i] == special.maskId() ? 1 : 0;
    }
    return n;
  }
}

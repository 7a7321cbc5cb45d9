package dev.llada.vrpo;

import ai.djl.ndarray.NDArray;
import dev.llada.core.model.LladaNetwork;

/** A {@link LladaNetwork}'s log-softmax at the targets, over the response window only. */
public record NetworkScorer(LladaNetwork network) implements TokenScorer {

  @Override
  public NDArray logProbabilities(NDArray noisy, NDArray targets, NDArray bias, int from) {
    int t = Math.toIntExact(noisy.getShape().get(1));
    NDArray logits = network.forward(noisy, bias, from, t);
    long rows = targets.getShape().get(0);
    long width = targets.getShape().get(1);
    return logits.logSoftmax(2).gather(targets.reshape(rows, width, 1), 2).reshape(rows, width);
  }
}

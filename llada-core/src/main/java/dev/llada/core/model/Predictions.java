package dev.llada.core.model;

/**
 * What a sampling step needs of one forward, per (row, position): the predicted id x0 and its
 * probability, the vocabulary already reduced (on the device, for {@link DjlMaskPredictor}); only
 * these cross to Java, never the {@code rows × positions × vocab} logits.
 *
 * @param tokens x0 of (row, position) at {@code row * positions + position}
 * @param confidences softmax probability of x0, in float64
 */
public record Predictions(int rows, int positions, int[] tokens, double[] confidences) {

  public Predictions {
    if (tokens.length != rows * positions || confidences.length != tokens.length) {
      throw new IllegalArgumentException("predictions do not match " + rows + "x" + positions);
    }
  }

  public int token(int row, int position) {
    return tokens[row * positions + position];
  }

  public double confidence(int row, int position) {
    return confidences[row * positions + position];
  }
}

package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.worker.LikelihoodResult;
import dev.llada.worker.ModelRef;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The /v1/loglikelihood answer for the estimator's edge cases (issue #13: a 500 before). */
class LikelihoodAnswerTest {

  private static final ModelRef MODEL = new ModelRef("m", Path.of("/tmp"), "sha256:00");

  @Test
  void oneBatchAnswersWithANullStandardError() {
    JsonObject a =
        DiffusionResource.likelihood(
            MODEL, new LikelihoodResult(-3.25, Double.NaN, 16, 1, 5), 4, 2, 96);
    assertEquals(-3.25, a.getJsonNumber("log_likelihood").doubleValue());
    assertEquals(JsonValue.NULL, a.get("standard_error"));
    assertEquals(16, a.getInt("mc_num"));
    assertEquals(96, a.getJsonObject("usage").getInt("compute_units"));
  }

  @Test
  void aProbabilityOfZeroIsNullNotANumberFormatException() {
    JsonObject a =
        DiffusionResource.likelihood(
            MODEL,
            new LikelihoodResult(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 8, 2, 5),
            4,
            2,
            48);
    assertEquals(JsonValue.NULL, a.get("log_likelihood"));
    assertEquals(JsonValue.NULL, a.get("standard_error"));
    assertTrue(a.toString().contains("\"nfe\":2"));
  }

  @Test
  void severalBatchesKeepTheirStandardError() {
    JsonObject a =
        DiffusionResource.likelihood(MODEL, new LikelihoodResult(-1.0, 0.125, 32, 2, 5), 4, 2, 1);
    assertEquals(0.125, a.getJsonNumber("standard_error").doubleValue());
  }
}

package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.model.LladaNetwork;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The variance study's arithmetic and its two extreme cases on the tiny models. */
class VarianceStudyTest {

  @TempDir Path temp;

  @Test
  void traceOfCovarianceSumsThePerElementSampleVariances() {
    float[][] samples = {{1, 0, 5}, {3, 0, 5}, {2, 0, 5}};
    assertEquals(1.0, VarianceStudy.traceOfCovariance(samples), 1e-12); // var(1,3,2) = 1
    assertEquals(2.5, VarianceStudy.variance(new double[] {1, 2, 3, 4, 5}), 1e-12);
  }

  @Test
  void antitheticSamplingOfIdenticalModelsHasNoVarianceAndIndependentSamplingHasSome()
      throws Exception {
    try (LladaTokenizer tokenizer = LladaTokenizer.load(ZooModels.INSTRUCT);
        LladaNetwork policy = ZooModels.load(ZooModels.INSTRUCT);
        LladaNetwork reference = ZooModels.load(ZooModels.INSTRUCT)) {
      List<PreferencePair> pairs =
          PreferenceData.load(VrpoTrainerTest.pairs(temp, 4), tokenizer, 128).pairs();
      VarianceStudy study =
          new VarianceStudy(
              policy, reference, 0.2, policy.config().maskTokenId(), policy.config().eosTokenId());
      VarianceStudy.Row shared = study.measure(new ElboBudget(2, 1, true), pairs, 3, 2, 1);
      VarianceStudy.Row independent = study.measure(new ElboBudget(2, 1, false), pairs, 3, 2, 1);
      assertEquals(0, shared.varScore(), 1e-9, "θ = ref on shared masks: ŝ = 0 every time");
      assertEquals(0, shared.meanScore(), 1e-9);
      assertTrue(independent.varScore() > 1e-4, "independent masks: " + independent);
      assertTrue(independent.varLoss() > 0 && independent.varGrad() > 0, independent.toString());
      assertTrue(shared.varGrad() >= 0);
    }
  }
}

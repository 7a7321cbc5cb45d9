package dev.llada.core.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import dev.llada.core.training.Recipe;
import dev.llada.core.training.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluationTest {

  @TempDir Path temp;

  @Test
  void wilsonIntervalsMatchKnownValues() {
    double[] none = Wilson.interval(0, 10);
    assertEquals(0.0, none[0], 1e-9);
    assertEquals(0.2775, none[1], 1e-4);
    double[] half = Wilson.interval(5, 10);
    assertEquals(0.2366, half[0], 1e-4);
    assertEquals(0.7634, half[1], 1e-4);
    double[] all = Wilson.interval(200, 200);
    assertEquals(1.0, all[1], 1e-9);
    assertTrue(all[0] > 0.98);
  }

  @Test
  void scoresHeldOutItemsOfATrainedModel() throws Exception {
    Path recipe = temp.resolve("r.json");
    Files.writeString(
        recipe,
        """
        {"name": "e", "objective": "pretrain", "seed": 1, "output": "m", "init": null,
         "model": {"d_model": 32, "n_heads": 4, "n_layers": 1, "mlp_hidden_size": 48, "max_sequence_length": 96},
         "tasks": {"add2": 1}, "train": {"steps": 2, "batch_size": 4, "lr": 0.001}}
        """);
    new Trainer(Recipe.read(recipe, temp), new PrintStream(new ByteArrayOutputStream())).run();
    try (DjlMaskPredictor model = DjlMaskPredictor.load(temp.resolve("m"), "cpu");
        LladaTokenizer tok = LladaTokenizer.load(temp.resolve("m"))) {
      Evaluation.TaskScore s =
          new Evaluation(model, tok, Evaluation.Format.PLAIN).score(Tasks.get("add2"), 6, 1, 2);
      assertEquals(6, s.n());
      assertTrue(s.ciLow() <= s.accuracy() && s.accuracy() <= s.ciHigh());
      assertTrue(s.nfe() > 0);
      assertTrue(s.mcAccuracy() >= 0 && s.mcAccuracy() <= 1);
      String table = Evaluation.markdown(List.of(s));
      assertTrue(table.contains("| add2 | 6 |"), table);
    }
  }
}

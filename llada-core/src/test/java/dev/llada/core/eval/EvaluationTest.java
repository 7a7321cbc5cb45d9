package dev.llada.core.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

  private Path trainTinyModel() throws Exception {
    Path recipe = temp.resolve("r.json");
    Files.writeString(
        recipe,
        """
        {"name": "e", "objective": "pretrain", "seed": 1, "output": "m", "init": null,
         "model": {"d_model": 32, "n_heads": 4, "n_layers": 1, "mlp_hidden_size": 48, "max_sequence_length": 96},
         "tasks": {"add2": 1}, "train": {"steps": 2, "batch_size": 4, "lr": 0.001}}
        """);
    new Trainer(Recipe.read(recipe, temp), new PrintStream(new ByteArrayOutputStream())).run();
    return temp.resolve("m");
  }

  @Test
  void scoresHeldOutItemsOfATrainedModel() throws Exception {
    trainTinyModel();
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

  @Test
  void multipleChoiceScoresTheResponseAsTrainedOrTheBareAnswer() throws Exception {
    Path dir = trainTinyModel();
    try (DjlMaskPredictor model = DjlMaskPredictor.load(dir, "cpu");
        LladaTokenizer tok = LladaTokenizer.load(dir)) {
      int[] answer = tok.encode("57");
      for (Evaluation.Format format : Evaluation.Format.values()) {
        Evaluation bare = new Evaluation(model, tok, format, Evaluation.Continuation.ANSWER);
        assertArrayEquals(answer, bare.continuation("57", 10, 20));
        Evaluation response = new Evaluation(model, tok, format, Evaluation.Continuation.RESPONSE);
        int[] r = response.continuation("57", 10, 20);
        // answer, terminator, EOS padding up to the canvas: 20 − 10 slots
        assertEquals(10, r.length);
        assertArrayEquals(answer, java.util.Arrays.copyOf(r, answer.length));
        int terminator =
            format == Evaluation.Format.CHAT && tok.eotId() >= 0 ? tok.eotId() : tok.eosId();
        assertEquals(terminator, r[answer.length]);
        for (int i = answer.length + 1; i < r.length; i++) {
          assertEquals(tok.eosId(), r[i], "EOS padding at " + i);
        }
        // options of other lengths get the same number of slots; none is cut
        assertEquals(10, response.continuation("1234", 10, 20).length);
        assertEquals(
            tok.encode("123456789").length + 1, response.continuation("123456789", 15, 20).length);
      }
    }
  }
}

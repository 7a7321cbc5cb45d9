package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.llada.core.model.DjlMaskPredictor;
import dev.llada.core.tasks.Example;
import dev.llada.core.tasks.Task;
import dev.llada.core.tasks.Tasks;
import dev.llada.core.tokenizer.LladaTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On-policy pairs: the model's own samples, judged by the task, in the dataset format. */
class OnPolicyPairsTest {

  @TempDir Path temp;

  @Test
  void pairsPreferACorrectSampleToAnIncorrectOneAndLoadAsADataset() throws Exception {
    try (DjlMaskPredictor model = DjlMaskPredictor.load(ZooModels.INSTRUCT, "cpu");
        LladaTokenizer tokenizer = LladaTokenizer.load(ZooModels.INSTRUCT)) {
      Task reverse = Tasks.get("reverse");
      OnPolicyPairs.TaskHarvest h =
          new OnPolicyPairs(model, tokenizer).harvest(reverse, 12, 4, 1.5, 7);
      assertEquals(12, h.questions());
      assertEquals(48, h.samples());
      assertEquals(
          12, h.pairs() + h.allCorrect() + h.noUsableRejected(), "every question is accounted");
      assertTrue(h.pairs() > 0, "T = 1.5 makes some samples wrong");
      int gold = 0;
      for (String line : h.lines()) {
        JsonObject o = new Gson().fromJson(line, JsonObject.class);
        String question = o.get("prompt").getAsString();
        String word = question.substring("reverse ".length(), question.length() - 1);
        Example e =
            new Example("reverse", question, new StringBuilder(word).reverse().toString(), null);
        assertTrue(reverse.accepts(e, o.get("chosen").getAsString()), line);
        assertTrue(!reverse.accepts(e, o.get("rejected").getAsString()), line);
        assertTrue(!Task.isTest("reverse", question), "training split only");
        gold += o.get("chosen_from").getAsString().equals("gold") ? 1 : 0;
      }
      assertEquals(h.goldPairs(), gold);
      Path f = temp.resolve("pairs.jsonl");
      Files.write(f, h.lines());
      assertEquals(
          h.pairs(), PreferenceData.load(f, tokenizer, 128).pairs().size(), "distinct prompts");
      assertThrows(
          IllegalArgumentException.class,
          () -> new OnPolicyPairs(model, tokenizer).harvest(reverse, 2, 4, 0, 7));
    }
  }
}

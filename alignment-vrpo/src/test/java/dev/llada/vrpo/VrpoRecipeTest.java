package dev.llada.vrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Recipes: LLaDA 1.5's defaults, and every bad field named before any work. */
class VrpoRecipeTest {

  private static final String MINIMAL =
      "{\"name\":\"r\",\"policy\":\"models/a\",\"data\":\"d.jsonl\",\"output\":\"out\","
          + "\"train\":{\"steps\":10,\"pairs_per_step\":4,\"lr\":1e-4}}";

  private static VrpoRecipe parse(String json) {
    return VrpoRecipe.parse(JsonParser.parseString(json).getAsJsonObject(), Path.of("/b"), "x");
  }

  private static String fault(String json) {
    return assertThrows(IllegalArgumentException.class, () -> parse(json)).getMessage();
  }

  private static String with(String section, String field, String value) {
    JsonObject o = JsonParser.parseString(MINIMAL).getAsJsonObject();
    JsonObject target = o;
    if (section != null) {
      if (!o.has(section)) {
        o.add(section, new JsonObject());
      }
      target = o.getAsJsonObject(section);
    }
    target.add(field, JsonParser.parseString(value));
    return o.toString();
  }

  @Test
  void theDefaultsAreTheOnesOfLlada15() {
    VrpoRecipe r = parse(MINIMAL);
    assertEquals(0.2, r.vrpo().beta());
    assertEquals(0.05, r.vrpo().sftWeight());
    assertEquals(ElboBudget.VRPO, r.vrpo().budget());
    assertEquals(0.01, r.train().weightDecay());
    assertEquals(0.9, r.train().beta1());
    assertEquals(0.95, r.train().beta2());
    assertEquals(1, r.train().gradAccum());
    assertEquals(Path.of("/b/models/a"), r.reference(), "the reference defaults to the policy");
    assertEquals(Path.of("/b/out"), r.output());
  }

  @Test
  void everyBadFieldIsNamed() {
    assertTrue(fault(with(null, "epochs", "1")).contains("unknown field \"epochs\""));
    assertTrue(fault(with("train", "lr_max", "1")).contains("\"train.lr_max\""));
    assertTrue(fault(with("vrpo", "beta", "0")).contains("\"vrpo.beta\""));
    assertTrue(fault(with("vrpo", "beta", "\"high\"")).contains("\"vrpo.beta\" must be a number"));
    assertTrue(fault(with("vrpo", "n_t", "2.5")).contains("\"vrpo.n_t\" must be an integer"));
    assertTrue(fault(with("vrpo", "n_t", "0")).contains("\"vrpo.n_t\""));
    assertTrue(fault(with("vrpo", "antithetic", "1")).contains("\"vrpo.antithetic\""));
    assertTrue(fault(with("train", "steps", "-3")).contains("\"train.steps\""));
    assertTrue(fault(with("train", "clip", "-1")).contains("\"train.clip\""));
    assertTrue(fault(with("train", "beta2", "1")).contains("\"train.beta2\""));
    assertTrue(fault(with(null, "output", "\"models/a\"")).contains("\"output\""));
    assertTrue(fault(with(null, "name", "\"\"")).contains("\"name\""));
    assertTrue(
        fault(with("vrpo", "n_yt", "32").replace("\"vrpo\":{", "\"vrpo\":{\"n_t\":4,"))
            .contains("at most 64"));
    assertTrue(fault("{\"name\":\"r\"}").contains("missing field \"policy\""));
    assertTrue(fault(MINIMAL.replace(",\"lr\":1e-4", "")).contains("missing field \"train.lr\""));
  }

  @Test
  void aFileThatIsNotJsonIsNamed(@org.junit.jupiter.api.io.TempDir Path temp) throws Exception {
    Path f = temp.resolve("bad.json");
    java.nio.file.Files.writeString(f, "{\"name\": ");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> VrpoRecipe.read(f, temp))
            .getMessage()
            .contains("is not valid JSON"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> VrpoRecipe.read(temp.resolve("none.json"), temp))
            .getMessage()
            .contains("does not exist"));
  }
}

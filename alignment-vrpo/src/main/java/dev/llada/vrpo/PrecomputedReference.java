package dev.llada.vrpo;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.llada.core.model.LladaNetwork;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The reference's ELBO samples of every pair a run will train on, computed before training (recipe
 * {@code vrpo.precompute_reference}): training then holds the policy alone, which at LLaDA-8B's
 * size halves the model memory. The masks of the g-th pair drawn depend only on (seed, step,
 * micro-batch, pair) and the pair on the epoch shuffle, so the table is exact; it is written to
 * {@code reference-elbos.bin} in the run's output with the recipe's and the dataset's digests, and
 * reused on resume.
 */
final class PrecomputedReference {

  static final String FILE = "reference-elbos.bin";
  private static final int MAGIC = 0x4C4C5245; // "LLRE"

  private PrecomputedReference() {}

  /** The table of the recipe's run: read from its output, or computed there. */
  static float[][] table(
      VrpoRecipe recipe,
      List<PreferencePair> pairs,
      String dataDigest,
      DpoObjective objective,
      LladaNetwork reference,
      PrintStream progress)
      throws IOException {
    VrpoRecipe.Optimization o = recipe.train();
    int total = Math.multiplyExact(Math.multiplyExact(o.steps(), o.gradAccum()), o.pairsPerStep());
    Path file = recipe.output().resolve(FILE);
    if (Files.isRegularFile(file)) {
      float[][] table = read(file, recipe.sha256(), dataDigest, total);
      if (table != null) {
        return table;
      }
    }
    progress.printf("[%s] precomputing the reference's ELBOs of %,d pairs%n", recipe.name(), total);
    TokenScorer scorer = new NetworkScorer(reference);
    PairOrder order = new PairOrder(pairs.size(), recipe.seed());
    float[][] table = new float[total][];
    for (int step = 0; step < o.steps(); step++) {
      for (int micro = 0; micro < o.gradAccum(); micro++) {
        for (int i = 0; i < o.pairsPerStep(); i++) {
          int g = (step * o.gradAccum() + micro) * o.pairsPerStep() + i;
          try (NDScope scope = new NDScope();
              NDManager m = reference.manager().newSubManager()) {
            table[g] =
                objective.referenceElbos(
                    scorer,
                    pairs.get(order.at(g)),
                    VrpoTrainer.random(recipe.seed(), step, micro, i),
                    m);
          }
        }
      }
    }
    write(file, recipe.sha256(), dataDigest, table);
    return table;
  }

  private static void write(Path file, String recipeSha, String dataDigest, float[][] table)
      throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
      out.writeInt(MAGIC);
      out.writeUTF(recipeSha);
      out.writeUTF(dataDigest);
      out.writeInt(table.length);
      for (float[] rows : table) {
        out.writeInt(rows.length);
        for (float v : rows) {
          out.writeFloat(v);
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The stored table, or null when it belongs to another recipe or dataset. */
  private static float[][] read(Path file, String recipeSha, String dataDigest, int total)
      throws IOException {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != MAGIC
          || !in.readUTF().equals(recipeSha)
          || !in.readUTF().equals(dataDigest)
          || in.readInt() != total) {
        return null;
      }
      float[][] table = new float[total][];
      for (int g = 0; g < total; g++) {
        table[g] = new float[in.readInt()];
        for (int r = 0; r < table[g].length; r++) {
          table[g][r] = in.readFloat();
        }
      }
      return table;
    }
  }
}

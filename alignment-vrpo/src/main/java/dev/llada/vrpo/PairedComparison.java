package dev.llada.vrpo;

import dev.llada.core.eval.Evaluation;
import dev.llada.core.eval.McNemar;
import dev.llada.core.tasks.Task;
import java.util.List;

/**
 * Two models on the same held-out items (issue #18's done criteria): exact match of each, the
 * paired difference with its 95 % interval and McNemar's p, and whether answers drift in length or
 * form. The interval is the normal one for a paired difference of proportions: Δ = (c − b)/n with
 * SE = √(b + c − (c − b)²/n)/n, b items only the baseline got right, c only the other model.
 */
public final class PairedComparison {

  private PairedComparison() {}

  /** One task's comparison. */
  public record Row(
      String task,
      int n,
      double baseline,
      double model,
      double delta,
      double se,
      int onlyBaseline,
      int onlyModel,
      double p,
      double baselineLength,
      double modelLength,
      double goldLength,
      double baselineForm,
      double modelForm) {

    public double low() {
      return delta - 1.96 * se;
    }

    public double high() {
      return delta + 1.96 * se;
    }
  }

  /** Compares answers to the same items ({@link Evaluation#answer} with the same seed). */
  public static Row compare(Task task, Evaluation.Answers baseline, Evaluation.Answers model) {
    int n = baseline.items().size();
    if (model.items().size() != n || !model.items().equals(baseline.items())) {
      throw new IllegalArgumentException("the two answer sets are not on the same items");
    }
    int rightBase = 0;
    int rightModel = 0;
    int b = 0;
    int c = 0;
    double lenBase = 0;
    double lenModel = 0;
    double lenGold = 0;
    int formBase = 0;
    int formModel = 0;
    for (int i = 0; i < n; i++) {
      boolean x = baseline.correct(task, i);
      boolean y = model.correct(task, i);
      rightBase += x ? 1 : 0;
      rightModel += y ? 1 : 0;
      b += x && !y ? 1 : 0;
      c += y && !x ? 1 : 0;
      String gold = baseline.items().get(i).answer();
      lenBase += baseline.outputs()[i].length();
      lenModel += model.outputs()[i].length();
      lenGold += gold.length();
      formBase += wellFormed(gold, baseline.outputs()[i]) ? 1 : 0;
      formModel += wellFormed(gold, model.outputs()[i]) ? 1 : 0;
    }
    double delta = (double) (c - b) / n;
    double se = Math.sqrt(Math.max(0, b + c - (double) (c - b) * (c - b) / n)) / n;
    return new Row(
        task.name(),
        n,
        (double) rightBase / n,
        (double) rightModel / n,
        delta,
        se,
        b,
        c,
        McNemar.p(b, c),
        lenBase / n,
        lenModel / n,
        lenGold / n,
        (double) formBase / n,
        (double) formModel / n);
  }

  /** The mean difference over {@code rows} (independent items) and its standard error. */
  public static double[] average(List<Row> rows) {
    double delta = 0;
    double var = 0;
    for (Row r : rows) {
      delta += r.delta() / rows.size();
      var += r.se() * r.se() / ((double) rows.size() * rows.size());
    }
    return new double[] {delta, Math.sqrt(var)};
  }

  /**
   * Whether an answer has the form of the gold answer: not empty, and every character of a class
   * the gold answer uses (digits, lowercase letters, uppercase letters, spaces; any other character
   * only if the gold answer has it, and a leading minus sign for numbers).
   */
  static boolean wellFormed(String gold, String output) {
    if (output.isEmpty()) {
      return false;
    }
    for (int i = 0; i < output.length(); i++) {
      char ch = output.charAt(i);
      boolean ok =
          Character.isDigit(ch)
              ? gold.chars().anyMatch(Character::isDigit)
              : Character.isLowerCase(ch)
                  ? gold.chars().anyMatch(Character::isLowerCase)
                  : Character.isUpperCase(ch)
                      ? gold.chars().anyMatch(Character::isUpperCase)
                      : ch == ' '
                          ? gold.indexOf(' ') >= 0
                          : gold.indexOf(ch) >= 0
                              || (ch == '-' && i == 0 && gold.chars().anyMatch(Character::isDigit));
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}

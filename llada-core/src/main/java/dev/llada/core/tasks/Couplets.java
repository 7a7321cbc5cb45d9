package dev.llada.core.tasks;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A fixed synthetic corpus of two-line couplets made of invented words (llada-spec §9.4's reversal
 * test, in miniature): every line distinct, so each line determines its partner in both directions.
 */
public final class Couplets {

  private final List<String> first;
  private final List<String> second;

  private Couplets(List<String> first, List<String> second) {
    this.first = first;
    this.second = second;
  }

  /**
   * The corpus the recipes use: 64 couplets from seed 9 (sized to be learnable by a tiny model).
   */
  public static Couplets standard() {
    return generate(64, 9);
  }

  /** {@code count} couplets of 3–4 words per line, lines at most 18 characters, all distinct. */
  public static Couplets generate(int count, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    String consonants = "bdfgklmnprstvz";
    String vowels = "aeiou";
    List<String> lexicon = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    while (lexicon.size() < 200) {
      int syllables = 1 + r.nextInt(2);
      StringBuilder w = new StringBuilder();
      for (int s = 0; s < syllables; s++) {
        w.append(consonants.charAt(r.nextInt(consonants.length())))
            .append(vowels.charAt(r.nextInt(vowels.length())));
      }
      if (seen.add(w.toString())) {
        lexicon.add(w.toString());
      }
    }
    Set<String> lines = new HashSet<>();
    List<String> first = new ArrayList<>();
    List<String> second = new ArrayList<>();
    while (first.size() < count) {
      String a = line(r, lexicon);
      String b = line(r, lexicon);
      if (!a.equals(b) && !lines.contains(a) && !lines.contains(b)) {
        lines.add(a);
        lines.add(b);
        first.add(a);
        second.add(b);
      }
    }
    return new Couplets(List.copyOf(first), List.copyOf(second));
  }

  private static String line(SplittableRandom r, List<String> lexicon) {
    while (true) {
      int words = 3 + r.nextInt(2);
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < words; i++) {
        if (i > 0) {
          s.append(' ');
        }
        s.append(lexicon.get(r.nextInt(lexicon.size())));
      }
      if (s.length() <= 18) {
        return s.toString();
      }
    }
  }

  public int size() {
    return first.size();
  }

  public String first(int i) {
    return first.get(i);
  }

  public String second(int i) {
    return second.get(i);
  }
}

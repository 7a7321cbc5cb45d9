package dev.llada.core.tasks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The long-context suite of acceleration.md §9.2 (issue #15 item 4), for a zoo Instruct whose
 * context holds k-shot prompts and EOS-padded canvases of up to 1,024 answer slots:
 *
 * <ul>
 *   <li>T1 {@code t1-add}: addition of numbers of 2–3 digits (answers of 2–4 tokens);
 *   <li>T2 {@code t2-sort} and {@code t2-reverse}: sort 64–128 digits, reverse 64–128 letters
 *       (answers as long as the input);
 *   <li>T3 {@code t3-pair}: the answer is one of two phrases of equal length, at random, whose
 *       per-position marginals are ambiguous but whose joint is constrained (Fast-dLLM §3's "high
 *       card / full house"); an answer is right when it is either phrase, so the task counts the
 *       joint-inconsistency errors of parallel decoding;
 *   <li>T4 {@code t4-word}: templated word problems of three steps with a short worked answer
 *       (64–128 tokens).
 * </ul>
 *
 * Each base task is named with its answer slots and prompt form: {@code t2-sort@256} (a bare
 * question, 256 slots) or {@code t2-sort@256k} (a k-shot prompt of about 200–700 tokens, template
 * included, of solved training examples before the question; at 1,024 slots about 200–256, so that
 * prompt and canvas fit 1,280 positions).
 */
public final class LongContext {

  private LongContext() {}

  /** The answer slots the suite is trained and measured at. */
  public static final int[] GEN_LENGTHS = {64, 256, 1024};

  /** The longest prompt plus canvas the suite needs: the context of its zoo model. */
  public static final int CONTEXT = 1280;

  /** The base tasks, without slots or prompt form. */
  static List<Task> bases() {
    return List.of(
        new Addition(), new LongSort(), new LongReverse(), new Pair(), new WordProblem());
  }

  /** Every variant: each base task at each slot count, bare and k-shot. */
  static void addAll(Map<String, Task> tasks) {
    for (Task base : bases()) {
      for (int gen : GEN_LENGTHS) {
        if (gen < base.genLength()) {
          continue; // a 64-slot canvas cannot hold a long answer
        }
        tasks.put(base.name() + "@" + gen, new Variant(base, gen, false));
        if (gen + 512 <= CONTEXT || base.genLength() <= 64) {
          // a long answer's shot does not fit beside 1,024 slots: no k-shot form there
          tasks.put(base.name() + "@" + gen + "k", new Variant(base, gen, true));
        }
      }
    }
  }

  /** A base task at {@code gen} slots, with a bare or a k-shot prompt. */
  static final class Variant implements Task {
    private final Task base;
    private final int gen;
    private final boolean shots;

    Variant(Task base, int gen, boolean shots) {
      this.base = base;
      this.gen = gen;
      this.shots = shots;
    }

    @Override
    public String name() {
      return base.name() + "@" + gen + (shots ? "k" : "");
    }

    @Override
    public int genLength() {
      return gen;
    }

    /** Train and test are split by the base task's question, whatever the prompt around it. */
    @Override
    public Example next(SplittableRandom random, boolean test) {
      Example e = base.next(random, test);
      if (!shots) {
        return e;
      }
      // the prompt's target length; the shots that fit it (none when one would not)
      int budget = gen >= 1024 ? 180 + random.nextInt(51) : 180 + random.nextInt(501);
      StringBuilder prompt = new StringBuilder("Solve as in the examples.\n");
      List<String> seen = new ArrayList<>(List.of(e.question()));
      for (int tries = 0; tries < 64; tries++) {
        Example shot = base.next(random, false); // solved examples come from the train split
        String line = shot.question() + " " + shot.answer() + "\n";
        if (seen.contains(shot.question())) {
          continue;
        }
        int after = prompt.length() + line.length() + e.question().length();
        boolean first = seen.size() == 1; // one shot at least, where the context has room
        if (after > (first ? CONTEXT - gen - 32 : budget)) {
          break;
        }
        seen.add(shot.question());
        prompt.append(line);
      }
      prompt.append(e.question());
      return new Example(name(), prompt.toString(), e.answer(), e.distractors());
    }

    @Override
    public Example sample(SplittableRandom random) {
      return next(random, false);
    }

    @Override
    public boolean accepts(Example e, String output) {
      return base.accepts(e, output);
    }
  }

  /** T1: a + b for a, b of 2–3 digits. */
  static final class Addition implements Task {
    @Override
    public String name() {
      return "t1-add";
    }

    @Override
    public int genLength() {
      return 8;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int a = 10 + r.nextInt(990);
      int b = 10 + r.nextInt(990);
      int c = a + b;
      return new Example(
          name(),
          a + "+" + b + "=",
          Integer.toString(c),
          List.of(Integer.toString(c + 1), Integer.toString(c - 10), Integer.toString(c + 100)));
    }
  }

  /** T2: sort 64–128 digits. */
  static final class LongSort implements Task {
    @Override
    public String name() {
      return "t2-sort";
    }

    @Override
    public int genLength() {
      return 130;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int n = 64 + r.nextInt(65);
      char[] d = new char[n];
      for (int i = 0; i < n; i++) {
        d[i] = (char) ('0' + r.nextInt(10));
      }
      char[] sorted = d.clone();
      Arrays.sort(sorted);
      String answer = new String(sorted);
      String shorter = answer.substring(1);
      return new Example(
          name(),
          "sort " + new String(d) + ":",
          answer,
          Tasks.distinct(answer, List.of(new String(d), shorter + answer.charAt(0))));
    }
  }

  /** T2: reverse 64–128 lowercase letters. */
  static final class LongReverse implements Task {
    @Override
    public String name() {
      return "t2-reverse";
    }

    @Override
    public int genLength() {
      return 130;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int n = 64 + r.nextInt(65);
      char[] s = new char[n];
      for (int i = 0; i < n; i++) {
        s[i] = (char) ('a' + r.nextInt(26));
      }
      String word = new String(s);
      String answer = new StringBuilder(word).reverse().toString();
      return new Example(
          name(),
          "reverse " + word + ":",
          answer,
          Tasks.distinct(answer, List.of(word, answer.substring(1) + answer.charAt(0))));
    }
  }

  /** T3: one of two phrases of equal length; either is right, a mixture of them is wrong. */
  static final class Pair implements Task {
    /** Pairs whose letters differ at most positions, so that a position-wise mix is neither. */
    static final String[][] PAIRS = {
      {"high card", "full moon"},
      {"red apple", "big stone"},
      {"cold tea", "warm pie"},
      {"blue sky", "dark sea"},
      {"old boat", "new kite"},
      {"fast car", "slow cow"},
      {"tall tree", "wide lake"},
      {"soft rain", "loud bell"}
    };

    @Override
    public String name() {
      return "t3-pair";
    }

    @Override
    public int genLength() {
      return 12;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int i = r.nextInt(PAIRS.length);
      String[] pair = PAIRS[i];
      int pick = r.nextInt(2);
      // a serial number makes questions many, so train and test split; it carries no information
      String question = "pick " + (char) ('a' + i) + (100 + r.nextInt(900)) + ":";
      String answer = pair[pick];
      return new Example(name(), question, answer, List.of(pair[1 - pick] + "!"));
    }

    @Override
    public boolean accepts(Example e, String output) {
      for (String[] pair : PAIRS) {
        if (pair[0].equals(e.answer()) || pair[1].equals(e.answer())) {
          return pair[0].equals(output) || pair[1].equals(output);
        }
      }
      return output.equals(e.answer());
    }
  }

  /** T4: three steps of two-digit arithmetic about someone's things, worked step by step. */
  static final class WordProblem implements Task {
    private static final String[] NAMES = {"Ann", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal"};
    private static final String[] THINGS = {"apples", "pens", "coins", "books", "cards", "shells"};

    @Override
    public String name() {
      return "t4-word";
    }

    @Override
    public int genLength() {
      return 130;
    }

    @Override
    public Example sample(SplittableRandom r) {
      String who = NAMES[r.nextInt(NAMES.length)];
      String thing = THINGS[r.nextInt(THINGS.length)];
      int start = 10 + r.nextInt(50);
      int buy = 10 + r.nextInt(99 - start - 9);
      int afterBuy = start + buy;
      int give = 10 + r.nextInt(afterBuy - 19);
      int afterGive = afterBuy - give;
      int find = 10 + r.nextInt(Math.max(1, 99 - afterGive - 9));
      int end = afterGive + find;
      String question =
          who
              + " has "
              + start
              + " "
              + thing
              + ", buys "
              + buy
              + ", gives away "
              + give
              + " and finds "
              + find
              + ". How many now?";
      String answer =
          "Start "
              + start
              + ". Buy: "
              + start
              + "+"
              + buy
              + "="
              + afterBuy
              + ". Give: "
              + afterBuy
              + "-"
              + give
              + "="
              + afterGive
              + ". Find: "
              + afterGive
              + "+"
              + find
              + "="
              + end
              + ". "
              + who
              + " has "
              + end
              + " "
              + thing
              + ".";
      String wrong = answer.replace("has " + end + " ", "has " + (end + 1) + " ");
      return new Example(name(), question, answer, List.of(wrong));
    }
  }
}

package dev.llada.core.tasks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntBinaryOperator;

/** The suite: every task by name. */
public final class Tasks {

  private Tasks() {}

  /** All tasks, in report order. */
  public static Map<String, Task> all() {
    Map<String, Task> tasks = new LinkedHashMap<>();
    for (Task t :
        List.of(
            arithmetic("add2", "+", 10, 99, Integer::sum),
            arithmetic("add3", "+", 100, 999, Integer::sum),
            arithmetic("sub2", "-", 10, 99, (a, b) -> a - b),
            arithmetic("mul1x2", "*", 2, 9, 10, 99, (a, b) -> a * b),
            new Reversal(),
            new Sorting(),
            new KeyValueRecall(),
            new CoupletCompletion(Couplets.standard(), true),
            new CoupletCompletion(Couplets.standard(), false),
            new WordProblem())) {
      tasks.put(t.name(), t);
    }
    return tasks;
  }

  /** The long-context suite ({@link LongContext}): every variant by name. */
  public static Map<String, Task> longContext() {
    Map<String, Task> tasks = new LinkedHashMap<>();
    LongContext.addAll(tasks);
    return tasks;
  }

  /** The task called {@code name}, or an exception listing the known ones. */
  public static Task get(String name) {
    Task t = all().get(name);
    if (t == null) {
      t = longContext().get(name);
    }
    if (t == null) {
      throw new IllegalArgumentException(
          "unknown task '"
              + name
              + "'; known: "
              + all().keySet()
              + " and the long-context suite "
              + longContext().keySet());
    }
    return t;
  }

  static Task arithmetic(String name, String op, int lo, int hi, IntBinaryOperator f) {
    return arithmetic(name, op, lo, hi, lo, hi, f);
  }

  static Task arithmetic(
      String name, String op, int aLo, int aHi, int bLo, int bHi, IntBinaryOperator f) {
    return new Task() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int genLength() {
        return 8;
      }

      @Override
      public Example sample(SplittableRandom r) {
        int a = aLo + r.nextInt(aHi - aLo + 1);
        int b = bLo + r.nextInt(bHi - bLo + 1);
        int c = f.applyAsInt(a, b);
        List<String> wrong = new ArrayList<>();
        for (int delta : new int[] {1, -1, 10, -10, 2}) {
          if (wrong.size() < 3 && c + delta != c) {
            wrong.add(Integer.toString(c + delta));
          }
        }
        return new Example(name, a + op + b + "=", Integer.toString(c), wrong);
      }
    };
  }

  /** Reverse a lowercase string of 6–10 letters. */
  static final class Reversal implements Task {
    @Override
    public String name() {
      return "reverse";
    }

    @Override
    public int genLength() {
      return 12;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int n = 6 + r.nextInt(5);
      char[] s = new char[n];
      for (int i = 0; i < n; i++) {
        s[i] = (char) ('a' + r.nextInt(26));
      }
      String word = new String(s);
      String answer = new StringBuilder(word).reverse().toString();
      List<String> wrong = List.of(word, answer.substring(1) + answer.charAt(0), rotate(answer));
      return new Example(name(), "reverse " + word + ":", answer, distinct(answer, wrong));
    }

    private static String rotate(String s) {
      return s.charAt(s.length() - 1) + s.substring(0, s.length() - 1);
    }
  }

  /** Sort 4–7 digits. */
  static final class Sorting implements Task {
    @Override
    public String name() {
      return "sort";
    }

    @Override
    public int genLength() {
      return 8;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int n = 4 + r.nextInt(4);
      char[] d = new char[n];
      for (int i = 0; i < n; i++) {
        d[i] = (char) ('0' + r.nextInt(10));
      }
      String list = new String(d);
      char[] sorted = d.clone();
      Arrays.sort(sorted);
      String answer = new String(sorted);
      String reversed = new StringBuilder(answer).reverse().toString();
      return new Example(
          name(),
          "sort " + list + ":",
          answer,
          distinct(answer, List.of(list, reversed, swapFirst(answer))));
    }

    private static String swapFirst(String s) {
      return s.length() < 2 ? s : "" + s.charAt(1) + s.charAt(0) + s.substring(2);
    }
  }

  /** Recall the value of a key from a short context of key=value pairs. */
  static final class KeyValueRecall implements Task {
    @Override
    public String name() {
      return "recall";
    }

    @Override
    public int genLength() {
      return 4;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int pairs = 3 + r.nextInt(3);
      StringBuilder context = new StringBuilder();
      List<Character> keys = new ArrayList<>();
      List<String> values = new ArrayList<>();
      while (keys.size() < pairs) {
        char k = (char) ('a' + r.nextInt(26));
        String v = Integer.toString(10 + r.nextInt(90));
        if (!keys.contains(k) && !values.contains(v)) { // distinct values: distractors stay wrong
          keys.add(k);
          values.add(v);
        }
      }
      for (int i = 0; i < pairs; i++) {
        context.append(keys.get(i)).append('=').append(values.get(i)).append(' ');
      }
      int pick = r.nextInt(pairs);
      List<String> wrong = new ArrayList<>(values);
      wrong.remove(pick);
      return new Example(
          name(),
          context + "get " + keys.get(pick) + ":",
          values.get(pick),
          wrong.subList(0, Math.min(3, wrong.size())));
    }
  }

  /** Given one line of a couplet, give the next (forward) or the previous (backward) one. */
  static final class CoupletCompletion implements Task {
    private final Couplets corpus;
    private final boolean forward;

    CoupletCompletion(Couplets corpus, boolean forward) {
      this.corpus = corpus;
      this.forward = forward;
    }

    @Override
    public String name() {
      return forward ? "couplet-next" : "couplet-prev";
    }

    @Override
    public int genLength() {
      return 24;
    }

    @Override
    public Example sample(SplittableRandom r) {
      int i = r.nextInt(corpus.size());
      String given = forward ? corpus.first(i) : corpus.second(i);
      String answer = forward ? corpus.second(i) : corpus.first(i);
      List<String> wrong = new ArrayList<>();
      while (wrong.size() < 3) {
        int j = r.nextInt(corpus.size());
        String w = forward ? corpus.second(j) : corpus.first(j);
        if (j != i && !wrong.contains(w)) {
          wrong.add(w);
        }
      }
      return new Example(name(), (forward ? "next: " : "prev: ") + given, answer, wrong);
    }

    /** Memorisation task: train and test share the corpus, so every item counts as both. */
    @Override
    public Example next(SplittableRandom random, boolean test) {
      return sample(random);
    }
  }

  /** Two-step word problems with a brief worked answer. */
  static final class WordProblem implements Task {
    private static final String[] NAMES = {"Ann", "Bo", "Cy", "Di", "Ed", "Flo"};
    private static final String[] THINGS = {"apples", "pens", "coins", "books"};

    @Override
    public String name() {
      return "word";
    }

    @Override
    public int genLength() {
      return 16;
    }

    @Override
    public Example sample(SplittableRandom r) {
      String who = NAMES[r.nextInt(NAMES.length)];
      String thing = THINGS[r.nextInt(THINGS.length)];
      int a = 2 + r.nextInt(8);
      int b = 1 + r.nextInt(9);
      int c = 1 + r.nextInt(a + b);
      int total = a + b - c;
      String question =
          who + " has " + a + " " + thing + ", gets " + b + ", gives " + c + ". How many?";
      String answer = a + "+" + b + "-" + c + "=" + total;
      List<String> wrong =
          List.of(
              a + "+" + b + "-" + c + "=" + (total + 1),
              a + "+" + b + "-" + c + "=" + (a + b),
              a + "+" + b + "-" + c + "=" + (total - 1));
      return new Example(name(), question, answer, distinct(answer, wrong));
    }
  }

  /** The wrong answers that differ from the answer and from each other, in order. */
  static List<String> distinct(String answer, List<String> wrong) {
    List<String> out = new ArrayList<>();
    for (String w : wrong) {
      if (!w.equals(answer) && !out.contains(w)) {
        out.add(w);
      }
    }
    return out;
  }
}

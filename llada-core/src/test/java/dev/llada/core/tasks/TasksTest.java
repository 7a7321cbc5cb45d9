package dev.llada.core.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TasksTest {

  @Test
  void generatorsAreDeterministicAndAnswersCheckOut() {
    for (Task task : Tasks.all().values()) {
      List<Example> a = sample(task, 7, 50, false);
      List<Example> b = sample(task, 7, 50, false);
      assertEquals(a, b, task.name() + " is seeded");
      for (Example e : a) {
        assertFalse(e.answer().isEmpty());
        assertFalse(e.distractors().contains(e.answer()), task.name() + ": " + e);
        assertTrue(e.answer().length() + 1 <= task.genLength(), task.name() + " answer fits: " + e);
      }
    }
    Example add = Tasks.get("add2").sample(new SplittableRandom(1));
    String[] parts = add.question().replace("=", "").split("\\+");
    assertEquals(
        Integer.parseInt(parts[0]) + Integer.parseInt(parts[1]), Integer.parseInt(add.answer()));
    Example rev = Tasks.get("reverse").sample(new SplittableRandom(2));
    String word = rev.question().substring("reverse ".length(), rev.question().length() - 1);
    assertEquals(new StringBuilder(word).reverse().toString(), rev.answer());
  }

  @Test
  void noTestQuestionIsEverATrainingQuestion() {
    for (String name : List.of("add2", "sort", "reverse", "recall", "word", "sub2")) {
      Task task = Tasks.get(name);
      Set<String> train = new HashSet<>();
      sample(task, 1, 3000, false).forEach(e -> train.add(e.question()));
      List<Example> test = sample(task, 2, 300, true);
      for (Example e : test) {
        assertFalse(train.contains(e.question()), name + ": " + e.question() + " leaked");
        assertTrue(Task.isTest(name, e.question()));
      }
    }
  }

  @Test
  void coupletsAreDistinctInBothDirections() {
    Couplets c = Couplets.standard();
    Set<String> lines = new HashSet<>();
    for (int i = 0; i < c.size(); i++) {
      assertTrue(lines.add(c.first(i)));
      assertTrue(lines.add(c.second(i)));
      assertTrue(c.first(i).length() <= 18);
    }
    assertThrows(IllegalArgumentException.class, () -> Tasks.get("poetry"));
  }

  @Test
  void theLongContextSuiteFitsItsContextAndChecksItsAnswers() {
    try (var tokenizer =
        dev.llada.core.tokenizer.LladaTokenizer.load(
            java.nio.file.Path.of("..", "models", "llada-tiny-instruct"))) {
      for (Task task : Tasks.longContext().values()) {
        int canvas = dev.llada.core.training.Canvas.length(task, tokenizer, true);
        assertTrue(canvas <= LongContext.CONTEXT, task.name() + " needs " + canvas);
        List<Example> items = sample(task, 3, 40, true);
        for (Example e : items) {
          assertTrue(task.accepts(e, e.answer()), task.name());
          assertTrue(e.answer().length() + 1 <= task.genLength(), task.name() + ": " + e);
          assertTrue(Task.isTest(task.name().replaceAll("@.*", ""), question(e)), "test split");
          if (task.name().endsWith("k") && !task.name().startsWith("t2")) {
            int prompt = dev.llada.core.training.Canvas.chatPrompt(tokenizer, e.question()).length;
            assertTrue(prompt >= 150, task.name() + " k-shot prompt of " + prompt);
          }
        }
      }
    }
    Task sort = Tasks.get("t2-sort@256");
    Example e = sort.sample(new SplittableRandom(4));
    assertTrue(e.answer().length() >= 64 && e.answer().length() <= 128);
    assertTrue(sort.accepts(e, e.answer()));
    assertFalse(sort.accepts(e, e.answer().substring(1)));
    Task pair = Tasks.get("t3-pair@64");
    Example p = new Example("t3-pair", "pick a123:", "full moon", List.of());
    assertTrue(pair.accepts(p, "high card") && pair.accepts(p, "full moon"), "either phrase");
    assertFalse(pair.accepts(p, "high moon"), "a mixture of the two phrases is wrong");
    assertFalse(pair.accepts(p, "red apple"), "another pair's phrase");
    for (String[] phrases : LongContext.Pair.PAIRS) {
      assertEquals(phrases[0].length(), phrases[1].length(), java.util.Arrays.toString(phrases));
    }
    Example word = Tasks.get("t4-word@256").sample(new SplittableRandom(6));
    assertTrue(word.answer().length() >= 64 && word.answer().length() <= 128, word.answer());
    assertThrows(IllegalArgumentException.class, () -> Tasks.get("t2-sort@64"), "too short");
  }

  /** The bare question at the end of a (k-shot) prompt. */
  private static String question(Example e) {
    String q = e.question();
    return q.substring(q.lastIndexOf('\n') + 1);
  }

  private static List<Example> sample(Task task, long seed, int n, boolean test) {
    SplittableRandom r = new SplittableRandom(seed);
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> task.next(r, test)).toList();
  }
}

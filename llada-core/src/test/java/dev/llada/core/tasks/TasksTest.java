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

  private static List<Example> sample(Task task, long seed, int n, boolean test) {
    SplittableRandom r = new SplittableRandom(seed);
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> task.next(r, test)).toList();
  }
}

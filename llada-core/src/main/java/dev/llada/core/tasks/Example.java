package dev.llada.core.tasks;

import java.util.List;

/**
 * One item of a task.
 *
 * @param task the task's name
 * @param question what the model is asked
 * @param answer the exact expected answer
 * @param distractors wrong answers of the same shape, for the multiple-choice form
 */
public record Example(String task, String question, String answer, List<String> distractors) {

  /** The plain-text form used for pre-training: question, a space, answer. */
  public String text() {
    return question + " " + answer;
  }
}

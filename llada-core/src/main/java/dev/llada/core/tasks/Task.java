package dev.llada.core.tasks;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/** A generator of checkable items. */
public interface Task {

  /** Stable name, used in recipes and reports. */
  String name();

  /** Answer slots the sampler gets for this task (answer + EoT + EOS padding must fit). */
  int genLength();

  /** A random item; callers filter by {@link #isTest(String)} to keep train and test apart. */
  Example sample(SplittableRandom random);

  /**
   * Whether {@code output} (special tokens dropped, trimmed) answers {@code e}: exactly its answer,
   * unless a task accepts several.
   */
  default boolean accepts(Example e, String output) {
    return output.equals(e.answer());
  }

  /** One question in ten is reserved for testing: md5(task + question) mod 10 == 0. */
  static boolean isTest(String task, String question) {
    try {
      byte[] digest =
          MessageDigest.getInstance("MD5")
              .digest((task + "\u0000" + question).getBytes(StandardCharsets.UTF_8));
      return Math.floorMod(((digest[0] & 0xFF) << 8) | (digest[1] & 0xFF), 10) == 0;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("MD5 is part of every JDK", e);
    }
  }

  /** The next item of the requested split. */
  default Example next(SplittableRandom random, boolean test) {
    for (int attempt = 0; attempt < 10_000; attempt++) {
      Example e = sample(random);
      if (isTest(name(), e.question()) == test) {
        return e;
      }
    }
    throw new IllegalStateException(name() + ": no " + (test ? "test" : "train") + " item found");
  }
}

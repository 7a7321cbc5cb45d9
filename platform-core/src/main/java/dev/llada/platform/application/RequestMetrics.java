package dev.llada.platform.application;

/** Port: what the platform counts about requests as they end (issue #16, item 6). */
public interface RequestMetrics {

  /** A request ended with {@code outcome} (counted when its settlement is attempted). */
  void settled(Outcome outcome);

  /** Counts nothing (unit tests). */
  RequestMetrics NONE = outcome -> {};
}

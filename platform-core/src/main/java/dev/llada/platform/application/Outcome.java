package dev.llada.platform.application;

/** How a reserved request ended; every exit path settles with one of these. */
public enum Outcome {
  SUCCESS,
  ERROR,
  CANCELLED,
  DISCONNECTED,
  /** Never settled by its request (its JVM died): settled by the sweeper when its lease ended. */
  EXPIRED
}

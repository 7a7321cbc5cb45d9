package dev.llada.platform.application;

/** How a reserved request ended; every exit path settles with one of these. */
public enum Outcome {
  SUCCESS,
  ERROR,
  CANCELLED,
  DISCONNECTED
}

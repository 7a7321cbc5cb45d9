package dev.llada.platform.domain;

/** The client disconnected and its generation was stopped; there is nobody left to answer. */
public final class ClientGoneException extends PlatformException {
  private static final long serialVersionUID = 1L;

  public ClientGoneException(int stepsRun) {
    super(499, "client_closed_request", null, "The client went away after " + stepsRun + " steps.");
  }
}

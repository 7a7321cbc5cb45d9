package dev.llada.platform.interfaces.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.llada.platform.domain.ServiceUnavailableException;
import org.junit.jupiter.api.Test;

/** The image-decoding gate: at most its turns at once, the next refused 503 after its wait. */
class DecodeGateTest {

  @Test
  void aRequestBeyondTheTurnsIsRefusedBusyAndATurnGivenBackServesTheNext() {
    DecodeGate gate = new DecodeGate(2, 50);
    DecodeGate.Turn a = gate.enter();
    DecodeGate.Turn b = gate.enter();
    ServiceUnavailableException busy = assertThrows(ServiceUnavailableException.class, gate::enter);
    assertEquals("platform_busy", busy.code());
    assertEquals(1, busy.retryAfterSeconds());
    a.close();
    a.close(); // twice gives one turn back, not two
    gate.enter().close();
    DecodeGate.Turn c = gate.enter();
    assertThrows(ServiceUnavailableException.class, gate::enter, "b and c hold both turns");
    c.close();
    b.close();
    assertThrows(IllegalArgumentException.class, () -> new DecodeGate(0));
  }
}

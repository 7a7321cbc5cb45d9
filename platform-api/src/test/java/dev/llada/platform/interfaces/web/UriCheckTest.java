package dev.llada.platform.interfaces.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class UriCheckTest {

  @Test
  void acceptsPlainAndPercentEncodedUtf8Paths() {
    assertNull(UriCheck.path("/v1/models/llada-tiny-instruct"));
    assertNull(UriCheck.path("/v1/models/%C3%BC"));
    assertNull(UriCheck.path("/v1/models/a%2Fb"));
    assertNull(UriCheck.path("/v1/admin/aliases/a@b"));
  }

  @Test
  void refusesMalformedEscapesBadUtf8ControlsAndBackslashes() {
    for (String p :
        new String[] {
          "/v1/models%ff",
          "/v1/models/%c0%af",
          "/v1/mod%00els",
          "/v1/models/a%0Ab",
          "/v1/models/a%7Fb",
          "/v1/models/a%C2%85b",
          "/v1/models/%",
          "/v1/models/%4",
          "/v1/models/%zz",
          "/v1/models/a%5Cb",
          "/v1/models/\u00ff"
        }) {
      UriCheck.Problem problem = UriCheck.path(p);
      assertNotNull(problem, p);
      assertNull(problem.param(), p);
    }
  }

  @Test
  void namesTheQueryParameterAtFault() {
    assertNull(UriCheck.query("tenant=acme&from=2026-11-01"));
    assertNull(UriCheck.query("a=%C3%BC+x&flag"));
    assertEquals("tenant", UriCheck.query("tenant=a%00b").param());
    assertEquals("tenant", UriCheck.query("x=1&tenant=%ff").param());
    assertEquals("to", UriCheck.query("to=%0d%0aSet-Cookie:x").param());
    assertNull(UriCheck.query("%00=1").param(), "a name that cannot be shown is not named");
  }

  @Test
  void printableKeepsMessagesReadable() {
    assertEquals("FOO /a?b", EdgeFilter.printable("FOO /a\u0000b"));
    assertEquals(200, EdgeFilter.printable("x".repeat(1000)).length());
  }
}

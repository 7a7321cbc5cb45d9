package dev.llada.platform.interfaces.web;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** RFC 9110's media type syntax, as the edge checks a Content-Type. */
class ContentTypeCheckTest {

  @Test
  void mediaTypesAsClientsSendThemPassAndMalformedOnesDoNot() {
    for (String ok :
        new String[] {
          "application/json",
          "application/json; charset=utf-8",
          "application/json;charset=UTF-8;",
          "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
          "multipart/form-data; boundary=\"a b;c\"",
          "text/plain ; a=1 ;; b=\"x\\\"y\"",
          "*/*"
        }) {
      assertTrue(ContentTypeCheck.valid(ok), ok);
    }
    for (String bad :
        new String[] {
          "",
          "json",
          "application/",
          "/json",
          "application/json charset=utf-8",
          "multipart/form-data; boundary===XG;<`sOY9Vp",
          "multipart/form-data; boundary=a\\b",
          "multipart/form-data; boundary=\"unclosed",
          "text/plain; =x",
          "text/plain; a"
        }) {
      assertFalse(ContentTypeCheck.valid(bad), bad);
    }
  }
}

package dev.llada.platform.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class ScopeTest {

  @Test
  void parsesAndFormatsTheWireNames() {
    assertEquals(
        EnumSet.of(Scope.INFERENCE, Scope.MODELS_READ), Scope.parse("inference, models:read,"));
    assertEquals("files,inference,models:read,usage:read", Scope.format(Scope.tenantScopes()));
    assertEquals(Scope.tenantScopes(), Scope.parse(Scope.format(Scope.tenantScopes())));
  }

  @Test
  void anUnknownScopeIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Scope.parse("inference,root"));
    assertEquals("unknown scope 'root'", e.getMessage());
  }

  @Test
  void aCallerWithoutTheScopeIsRefused() {
    Caller reader =
        new Caller(
            java.util.UUID.randomUUID(),
            "t",
            java.util.UUID.randomUUID(),
            "llk_x",
            EnumSet.of(Scope.MODELS_READ),
            false);
    PermissionDeniedException e =
        assertThrows(PermissionDeniedException.class, () -> reader.require(Scope.INFERENCE));
    assertEquals("insufficient_scope", e.code());
    Caller.admin().require(Scope.ADMIN);
  }

  @Test
  void limitsMustBePositive() {
    assertEquals(
        "max_concurrent",
        assertThrows(InvalidRequestException.class, () -> new Limits(1L, 1L, 1L, 0L)).param());
  }
}

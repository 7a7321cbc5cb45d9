package dev.llada.platform.domain;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** What an API key may do. */
public enum Scope {
  /** List and read models. */
  MODELS_READ("models:read"),
  /** Run completions, chat, diffusion generation and likelihood. */
  INFERENCE("inference"),
  /** Read the tenant's own usage. */
  USAGE_READ("usage:read"),
  /** Upload, list, read and delete the tenant's own files ({@code /v1/files}). */
  FILES("files"),
  /** Read one tenant's administration resources (its settings, keys, users, usage checks). */
  TENANT_READ("tenant:read"),
  /** Manage one tenant: its keys and users. */
  TENANT_WRITE("tenant:write"),
  /** Read platform-wide administration resources (every tenant, the registry, all usage). */
  PLATFORM_READ("platform:read"),
  /** Change anything on the platform (master key and platform-admin). */
  ADMIN("admin");

  private final String wire;

  Scope(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** Scopes a tenant key may hold (administration is for people and the master key). */
  public static Set<Scope> tenantScopes() {
    return EnumSet.of(MODELS_READ, INFERENCE, USAGE_READ, FILES);
  }

  /** Parses {@code "inference,models:read"}; unknown names are an error naming them. */
  public static Set<Scope> parse(String csv) {
    Set<Scope> out = EnumSet.noneOf(Scope.class);
    for (String s : csv.split(",")) {
      String name = s.trim();
      if (name.isEmpty()) {
        continue;
      }
      Scope scope =
          Arrays.stream(values())
              .filter(v -> v.wire.equals(name))
              .findFirst()
              .orElseThrow(() -> new IllegalArgumentException("unknown scope '" + name + "'"));
      out.add(scope);
    }
    return out;
  }

  public static String format(Set<Scope> scopes) {
    return scopes.stream().map(Scope::wire).sorted().collect(Collectors.joining(","));
  }
}

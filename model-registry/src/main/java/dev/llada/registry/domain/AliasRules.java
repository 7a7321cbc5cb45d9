package dev.llada.registry.domain;

import dev.llada.platform.domain.ConflictException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * How aliases move, in plain Java: promotion creates or moves an alias (and does nothing when it
 * already points there); rollback returns it to where it pointed before its last move, so two
 * rollbacks in a row swap back ({@code cd -}); the zoo's alias follows the zoo's files unless an
 * administrator pointed it at another name.
 */
public final class AliasRules {

  private AliasRules() {}

  /**
   * What promoting an alias to {@code target} does.
   *
   * @param current the version it points at now, empty when it does not exist
   * @return the move to record, empty when nothing changes
   */
  public static Optional<AliasChange.Action> promotion(Optional<UUID> current, UUID target) {
    if (current.isEmpty()) {
      return Optional.of(AliasChange.Action.CREATE);
    }
    return current.get().equals(target)
        ? Optional.empty()
        : Optional.of(AliasChange.Action.PROMOTE);
  }

  /**
   * Where rollback moves an alias.
   *
   * @param history the versions of its moves, newest first (at least the last two)
   * @throws ConflictException 409 {@code nothing_to_roll_back} when it never moved
   */
  public static UUID rollbackTarget(String alias, List<UUID> history) {
    if (history.size() < 2) {
      throw new ConflictException(
          "nothing_to_roll_back", "alias", "The alias '" + alias + "' has never moved.");
    }
    return history.get(1);
  }

  /**
   * Whether zoo registration moves the zoo alias {@code zooName} to the version it just registered:
   * when there is no alias yet, or when it points at another version of the same name (all zoo
   * versions of a name share one directory, so only the one with the files' digest can serve). An
   * alias an administrator pointed at another name stays.
   *
   * @param aliasTarget {@code name:N} the alias points at, empty when it does not exist
   * @param registered {@code name:N} of the version whose digest the files have
   */
  public static boolean zooAliasFollows(Optional<String> aliasTarget, String registered) {
    if (aliasTarget.isEmpty()) {
      return true;
    }
    String target = aliasTarget.get();
    String name = registered.substring(0, registered.lastIndexOf(':'));
    return target.startsWith(name + ":") && !target.equals(registered); // names have no ':'
  }
}

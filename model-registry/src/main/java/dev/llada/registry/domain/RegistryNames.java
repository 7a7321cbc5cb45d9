package dev.llada.registry.domain;

import dev.llada.platform.domain.InvalidRequestException;
import java.util.Map;

/**
 * What the registry accepts as names, references and tags (the V1/V3 checks, said before the
 * database sees them, each refusal naming the parameter).
 */
public final class RegistryNames {

  /** The longest model card kept; longer ones are cut there. */
  public static final int MAX_CARD = 64 * 1024;

  private RegistryNames() {}

  public static void checkName(String name) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9._-]{0,127}")) {
      throw new InvalidRequestException(
          "name", "name must be 1-128 characters of a-z, 0-9, '.', '_' and '-'");
    }
  }

  public static void checkAlias(String alias) {
    if (alias == null || !alias.matches("[a-z0-9][a-z0-9._@-]{0,127}")) {
      throw new InvalidRequestException(
          "alias", "alias must be 1-128 characters of a-z, 0-9, '.', '_', '@' and '-'");
    }
  }

  /** Lineage fields of a new version: lengths as the columns hold them. */
  public static void checkLineage(String baseVersion, String trainingJob, String dataset) {
    if (trainingJob != null && (trainingJob.isBlank() || trainingJob.length() > 128)) {
      throw new InvalidRequestException("training_job", "training_job must be 1-128 characters");
    }
    if (dataset != null && (dataset.isBlank() || dataset.length() > 200)) {
      throw new InvalidRequestException("dataset", "dataset must be 1-200 characters");
    }
    if (baseVersion != null && baseVersion.length() > 140) {
      throw new InvalidRequestException(
          "base_version", "base_version must look like name:N (at most 140 characters)");
    }
  }

  /** A version reference {@code name:N}. */
  public record Ref(String name, int version) {}

  /** Parses {@code name:N}; 400 naming {@code param} when it is malformed. */
  public static Ref parseRef(String ref, String param) {
    if (ref == null) {
      throw new InvalidRequestException(param, "'" + param + "' (name:N) is required.");
    }
    int colon = ref.lastIndexOf(':');
    int number;
    try {
      number = colon < 1 ? -1 : Integer.parseInt(ref.substring(colon + 1));
    } catch (NumberFormatException e) {
      number = -1;
    }
    if (number < 1) {
      throw new InvalidRequestException(param, param + " must look like name:N, got '" + ref + "'");
    }
    return new Ref(ref.substring(0, colon), number);
  }

  /** Tag keys 1-64 of {@code [A-Za-z0-9_.:-]}, values at most 500 characters (null removes). */
  public static void checkTags(Map<String, String> tags) {
    if (tags == null) {
      return;
    }
    for (var e : tags.entrySet()) {
      if (e.getKey() == null || !e.getKey().matches("[A-Za-z0-9_.:-]{1,64}")) {
        throw new InvalidRequestException("tags", "tag keys are 1-64 of A-Z a-z 0-9 _ . : -");
      }
      if (e.getValue() != null && e.getValue().length() > 500) {
        throw new InvalidRequestException("tags", "tag values are at most 500 characters");
      }
    }
  }

  /** The card as stored: at most {@link #MAX_CARD} characters. */
  public static String card(String text) {
    return text == null || text.length() <= MAX_CARD ? text : text.substring(0, MAX_CARD);
  }
}

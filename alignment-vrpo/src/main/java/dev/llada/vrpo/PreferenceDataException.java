package dev.llada.vrpo;

import java.util.List;

/** A preference dataset that cannot be used, with every fault found (line, field, what). */
public final class PreferenceDataException extends IllegalArgumentException {

  /** One fault: its 1-based line (0 for the file as a whole), the field at fault (or null). */
  public record Fault(int line, String field, String message) {
    @Override
    public String toString() {
      return (line > 0 ? "line " + line + ": " : "")
          + (field != null ? "field '" + field + "': " : "")
          + message;
    }
  }

  private final transient List<Fault> faults;

  PreferenceDataException(String source, List<Fault> faults, boolean more) {
    super(
        source
            + " is not a usable preference dataset: "
            + String.join("; ", faults.stream().map(Fault::toString).toList())
            + (more ? "; (more faults not shown)" : ""));
    this.faults = List.copyOf(faults);
  }

  public List<Fault> faults() {
    return faults;
  }
}

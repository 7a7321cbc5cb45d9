package dev.llada.platform.application;

import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.vrpo.PreferenceData;
import dev.llada.vrpo.PreferenceDataException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code fine-tune} file is a preference dataset (issue #22): checked as it is uploaded by VRPO's
 * own reader ({@link PreferenceData#check}: JSON objects of {@code prompt} or {@code messages},
 * {@code chosen} and {@code rejected}, non-empty and different, at most 1 MiB a line and a million
 * rows), every fault named by its line and field. What depends on a model (a row longer than its
 * context) is checked when a job reads the file for its model.
 */
final class PreferenceFiles {

  private PreferenceFiles() {}

  /** The number of rows of the spooled upload {@code content}, or a 400 naming its faults. */
  static int check(Path content) {
    try (InputStream in = Files.newInputStream(content)) {
      return PreferenceData.check("the file", in);
    } catch (PreferenceDataException e) {
      throw new InvalidRequestException("invalid_file_format", "file", e.getMessage() + ".");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package dev.llada.core.vision;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.config.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A vision model's {@code preprocessor_config.json} (Hugging Face's SigLIP image processor keys):
 * resize to {@code size.height × size.width} with {@code resample} (2 bilinear, 3 bicubic, PIL's
 * codes), multiply by {@code rescale_factor}, then {@code (x − image_mean) / image_std} per
 * channel.
 *
 * @param height output rows
 * @param width output columns
 * @param resample 2 (bilinear) or 3 (bicubic)
 * @param doResize whether to resize (else the image must already have the size)
 * @param rescale the factor applied to 0–255 values, or 1 if {@code do_rescale} is false
 * @param mean per-channel mean (R, G, B), zeros if {@code do_normalize} is false
 * @param std per-channel standard deviation, ones if {@code do_normalize} is false
 */
public record PreprocessorConfig(
    int height,
    int width,
    int resample,
    boolean doResize,
    double rescale,
    double[] mean,
    double[] std) {

  public static final int BILINEAR = 2;
  public static final int BICUBIC = 3;

  public PreprocessorConfig {
    if (height < 1 || width < 1) {
      throw new ModelFormatException(
          "preprocessor size must be positive, got " + height + "×" + width);
    }
    if (resample != BILINEAR && resample != BICUBIC) {
      throw new ModelFormatException(
          "\"resample\": " + resample + " is not supported; only 2 (bilinear) and 3 (bicubic)");
    }
    if (mean.length != 3 || std.length != 3) {
      throw new ModelFormatException("image_mean and image_std must have 3 values (R, G, B)");
    }
    for (double s : std) {
      if (!(s > 0)) {
        throw new ModelFormatException("image_std must be positive, got " + s);
      }
    }
  }

  /** SigLIP's processor at {@code size}: bilinear, 1/255, mean 0.5, std 0.5. */
  public static PreprocessorConfig siglip(int size) {
    return new PreprocessorConfig(
        size,
        size,
        BILINEAR,
        true,
        1 / 255.0,
        new double[] {.5, .5, .5},
        new double[] {.5, .5, .5});
  }

  /**
   * The processor LLaDA-V hard-codes ({@code SigLipImageProcessor()} in siglip_encoder.py;
   * llada-v-layout.md §4a) at {@code size}: bicubic, 1/255, mean and std 0.5.
   */
  public static PreprocessorConfig bicubicSiglip(int size) {
    return new PreprocessorConfig(
        size, size, BICUBIC, true, 1 / 255.0, new double[] {.5, .5, .5}, new double[] {.5, .5, .5});
  }

  /** This config as {@code preprocessor_config.json} content (Hugging Face's SigLIP keys). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    json.addProperty("image_processor_type", "SiglipImageProcessor");
    JsonObject size = new JsonObject();
    size.addProperty("height", height);
    size.addProperty("width", width);
    json.add("size", size);
    json.addProperty("resample", resample);
    json.addProperty("do_resize", doResize);
    json.addProperty("do_rescale", true);
    json.addProperty("rescale_factor", rescale);
    json.addProperty("do_normalize", true);
    JsonArray m = new JsonArray();
    JsonArray s = new JsonArray();
    for (int i = 0; i < 3; i++) {
      m.add(mean[i]);
      s.add(std[i]);
    }
    json.add("image_mean", m);
    json.add("image_std", s);
    return json;
  }

  /** Reads {@code dir/preprocessor_config.json}. */
  public static PreprocessorConfig read(Path dir) {
    Path file = dir.resolve("preprocessor_config.json");
    try {
      JsonObject json =
          JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
      return fromJson(json);
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + " is missing: a vision model needs one");
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
      throw new ModelFormatException(file + " is not a valid JSON object: " + e.getMessage(), e);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  /** From the JSON keys of a Hugging Face image processor config. */
  public static PreprocessorConfig fromJson(JsonObject json) {
    JsonElement size = json.get("size");
    int height;
    int width;
    if (size != null && size.isJsonObject() && size.getAsJsonObject().has("height")) {
      height = size.getAsJsonObject().get("height").getAsInt();
      width = size.getAsJsonObject().get("width").getAsInt();
    } else if (size != null && size.isJsonPrimitive()) {
      height = width = size.getAsInt();
    } else {
      throw new ModelFormatException(
          "\"size\" must be {\"height\": H, \"width\": W} or a number (shortest_edge resizing with"
              + " a crop is not supported), got "
              + size);
    }
    boolean normalize = !json.has("do_normalize") || json.get("do_normalize").getAsBoolean();
    boolean rescale = !json.has("do_rescale") || json.get("do_rescale").getAsBoolean();
    return new PreprocessorConfig(
        height,
        width,
        json.has("resample") ? json.get("resample").getAsInt() : BICUBIC,
        !json.has("do_resize") || json.get("do_resize").getAsBoolean(),
        rescale
            ? (json.has("rescale_factor") ? json.get("rescale_factor").getAsDouble() : 1 / 255.0)
            : 1,
        normalize ? triple(json, "image_mean") : new double[3],
        normalize ? triple(json, "image_std") : new double[] {1, 1, 1});
  }

  private static double[] triple(JsonObject json, String key) {
    JsonElement e = json.get(key);
    if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 3) {
      throw new ModelFormatException("\"" + key + "\" must be an array of 3 numbers, got " + e);
    }
    JsonArray a = e.getAsJsonArray();
    return new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble()};
  }
}

package dev.llada.core.vision;

import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.llada.core.config.LladaConfig;
import dev.llada.core.config.ModelFamily;
import dev.llada.core.config.ModelFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A LLaDA-V model's {@code config.json} ({@code model_type} "llava_llada";
 * docs/research/llada-v-layout.md §2): the language model's LLaMA-style keys ({@link
 * ModelFamily#LLAVA_LLADA}), the {@code mm_*} keys, and the vision tower. The released model names
 * its tower by Hub id ({@code mm_vision_tower}, a SigLIP2 so400m) with no {@code vision_config}; a
 * {@code vision_config} (Hugging Face {@code SiglipVisionConfig} keys) is read when present, as the
 * tiny models write it, and otherwise the so400m tower's published numbers are used. Keys whose
 * other values change the computation are refused with the reason, never ignored.
 *
 * @param language the language model
 * @param vision the tower and its selected layer
 * @param imageNewline whether {@code model.image_newline} follows each image ({@code
 *     mm_patch_merge_type} "spatial_unpad"; "flat": no newline)
 * @param visionTower {@code mm_vision_tower}, as written
 */
public record VisionModelConfig(
    LladaConfig language, VisionConfig vision, boolean imageNewline, String visionTower) {

  public VisionModelConfig {
    if (language.family() != ModelFamily.LLAVA_LLADA) {
      throw new ModelFormatException("a LLaDA-V language model uses the llava_llada family");
    }
  }

  /** Positions one image takes in a prompt: the tower's patches, and the newline if it follows. */
  public int tokensPerImage() {
    return vision.patches() + (imageNewline ? 1 : 0);
  }

  /** SigLIP2 so400m-patch14-384's tower (llada-v-layout.md §2c), 27 layers, features of −2. */
  public static VisionConfig so400m(int selectLayer) {
    return new VisionConfig(1152, 4304, 27, 16, 14, 384, 1e-6, selectLayer);
  }

  /** Whether {@code dir} holds a LLaDA-V model ({@code model_type} "llava_llada"). */
  public static boolean isVision(Path dir) {
    try {
      JsonObject json = json(dir.resolve("config.json"));
      return json.has("model_type") && "llava_llada".equals(json.get("model_type").getAsString());
    } catch (ModelFormatException e) {
      return false;
    }
  }

  /** Reads {@code dir/config.json}. */
  public static VisionModelConfig read(Path dir) {
    Path file = dir.resolve("config.json");
    try {
      return fromJson(json(file));
    } catch (ModelFormatException e) {
      throw e.getMessage().startsWith(file.toString())
          ? e
          : new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  private static JsonObject json(Path file) {
    try {
      return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8))
          .getAsJsonObject();
    } catch (NoSuchFileException e) {
      throw new ModelFormatException(file + " is missing: not a Hugging Face model directory");
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalStateException e) {
      throw new ModelFormatException(file + " is not a JSON object: " + e.getMessage(), e);
    }
  }

  /** From a {@code config.json}'s keys. */
  public static VisionModelConfig fromJson(JsonObject json) {
    LladaConfig language = LladaConfig.fromJson(json);
    if (language.family() != ModelFamily.LLAVA_LLADA) {
      throw new ModelFormatException("model_type must be \"llava_llada\" for a LLaDA-V model");
    }
    oneOf(json, "mm_projector_type", List.of("mlp2x_gelu"), null, "the projector would differ");
    oneOf(
        json,
        "mm_patch_merge_type",
        List.of("flat", "spatial_unpad"),
        "flat",
        "the image features would be merged otherwise");
    oneOf(
        json,
        "image_aspect_ratio",
        List.of("pad", "square"),
        "square",
        "anyres crops (the released model's anyres_max_4) are not implemented yet (issue #20):"
            + " only single-crop images");
    mustBe(json, "mm_use_im_start_end", false, "start/end tokens would frame each image");
    mustBe(json, "mm_use_im_patch_token", false, "patch tokens would be added");
    JsonElement resampler = json.get("mm_resampler_type");
    if (resampler != null && !resampler.isJsonNull()) {
      throw new ModelFormatException(
          "\"mm_resampler_type\": " + resampler + " is not supported (only none: an identity)");
    }
    int select =
        json.has("mm_vision_select_layer") ? json.get("mm_vision_select_layer").getAsInt() : -2;
    String tower =
        json.has("mm_vision_tower") && !json.get("mm_vision_tower").isJsonNull()
            ? json.get("mm_vision_tower").getAsString()
            : "";
    VisionConfig vision;
    if (json.has("vision_config") && json.get("vision_config").isJsonObject()) {
      vision = visionConfig(json.getAsJsonObject("vision_config"), select);
    } else if (tower.toLowerCase(Locale.ROOT).contains("so400m")) {
      vision = so400m(select);
    } else {
      throw new ModelFormatException(
          "no \"vision_config\" and \"mm_vision_tower\" \""
              + tower
              + "\" is not a known tower (SigLIP so400m); add a vision_config");
    }
    int mmHidden =
        json.has("mm_hidden_size") ? json.get("mm_hidden_size").getAsInt() : vision.hidden();
    if (mmHidden != vision.hidden()) {
      throw new ModelFormatException(
          "mm_hidden_size "
              + mmHidden
              + " differs from the tower's hidden_size "
              + vision.hidden());
    }
    String merge =
        json.has("mm_patch_merge_type") ? json.get("mm_patch_merge_type").getAsString() : "flat";
    return new VisionModelConfig(language, vision, merge.contains("unpad"), tower);
  }

  private static VisionConfig visionConfig(JsonObject v, int select) {
    String act = v.has("hidden_act") ? v.get("hidden_act").getAsString() : "gelu_pytorch_tanh";
    if (!act.equals("gelu_pytorch_tanh")) {
      throw new ModelFormatException(
          "vision_config.hidden_act \"" + act + "\" is not supported; only gelu_pytorch_tanh");
    }
    int channels = v.has("num_channels") ? v.get("num_channels").getAsInt() : 3;
    if (channels != 3) {
      throw new ModelFormatException("vision_config.num_channels must be 3, got " + channels);
    }
    return new VisionConfig(
        integer(v, "hidden_size"),
        integer(v, "intermediate_size"),
        integer(v, "num_hidden_layers"),
        integer(v, "num_attention_heads"),
        integer(v, "patch_size"),
        integer(v, "image_size"),
        v.has("layer_norm_eps") ? v.get("layer_norm_eps").getAsDouble() : 1e-6,
        select);
  }

  private static int integer(JsonObject v, String key) {
    if (!v.has(key) || v.get(key).isJsonNull()) {
      throw new ModelFormatException("vision_config needs \"" + key + "\"");
    }
    return v.get(key).getAsInt();
  }

  private static void oneOf(
      JsonObject json, String key, List<String> supported, String fallback, String why) {
    String value =
        json.has(key) && !json.get(key).isJsonNull() ? json.get(key).getAsString() : fallback;
    if (value == null) {
      throw new ModelFormatException("a LLaDA-V config needs \"" + key + "\"");
    }
    if (!supported.contains(value)) {
      throw new ModelFormatException(
          "\""
              + key
              + "\": \""
              + value
              + "\" is not supported ("
              + why
              + "); only "
              + String.join(", ", supported));
    }
  }

  private static void mustBe(JsonObject json, String key, boolean supported, String why) {
    if (json.has(key) && !json.get(key).isJsonNull() && json.get(key).getAsBoolean() != supported) {
      throw new ModelFormatException(
          "\"" + key + "\": " + json.get(key) + " is not supported (" + why + ")");
    }
  }

  /** This config as {@code config.json} content. */
  public JsonObject toJson() {
    JsonObject json = language.toJson();
    json.addProperty("mm_vision_tower", visionTower);
    json.addProperty("mm_projector_type", "mlp2x_gelu");
    json.addProperty("mm_hidden_size", vision.hidden());
    json.addProperty("mm_vision_select_layer", vision.selectLayer());
    json.addProperty("mm_vision_select_feature", "patch");
    json.addProperty("mm_patch_merge_type", imageNewline ? "spatial_unpad" : "flat");
    json.addProperty("image_aspect_ratio", "pad");
    json.addProperty("use_mm_proj", true);
    json.addProperty("mm_use_im_start_end", false);
    json.addProperty("mm_use_im_patch_token", false);
    json.add("mm_resampler_type", JsonNull.INSTANCE);
    JsonObject v = new JsonObject();
    v.addProperty("model_type", "siglip_vision_model");
    v.addProperty("hidden_size", vision.hidden());
    v.addProperty("intermediate_size", vision.intermediate());
    v.addProperty("num_hidden_layers", vision.layers());
    v.addProperty("num_attention_heads", vision.heads());
    v.addProperty("num_channels", 3);
    v.addProperty("patch_size", vision.patch());
    v.addProperty("image_size", vision.imageSize());
    v.addProperty("layer_norm_eps", vision.layerNormEps());
    v.addProperty("hidden_act", "gelu_pytorch_tanh");
    json.add("vision_config", v);
    return json;
  }
}

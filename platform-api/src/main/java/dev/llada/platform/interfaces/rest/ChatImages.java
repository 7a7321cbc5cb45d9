package dev.llada.platform.interfaces.rest;

import dev.llada.core.tokenizer.ChatTemplate;
import dev.llada.core.vision.ImageDecoder;
import dev.llada.core.vision.ImageInputException;
import dev.llada.core.vision.ImageLimits;
import dev.llada.platform.application.DiffusionParams;
import dev.llada.platform.application.InferenceService;
import dev.llada.platform.application.PreparedRequest;
import dev.llada.platform.domain.InvalidRequestException;
import dev.llada.worker.ModelRef;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * A chat's images, from the request to the worker (issue #20): on the request's thread, before
 * anything is reserved, each image is decoded within the limits below (dimensions read from the
 * header first: a decompression bomb is refused undecoded) and preprocessed to the tower's input at
 * once, so only the model's small pixel arrays wait in the queue, never a full-size image. Every
 * refusal is a 400 naming the part ({@code messages[i].content[j].image_url.url}) with the
 * decoder's code ({@code image_too_large}, {@code not_an_image}, {@code corrupt_image}, {@code
 * unsupported_image}).
 */
@ApplicationScoped
public class ChatImages {

  @Inject InferenceService inference;

  /** Bytes of one image, encoded (the base64 data decoded). */
  @Inject
  @ConfigProperty(name = "llada.images.max-bytes", defaultValue = "10485760")
  long maxBytes;

  /** Width × height of one image, as its header declares it. */
  @Inject
  @ConfigProperty(name = "llada.images.max-pixels", defaultValue = "4194304")
  long maxPixels;

  /** The longer side of one image. */
  @Inject
  @ConfigProperty(name = "llada.images.max-side", defaultValue = "4096")
  int maxSide;

  /** Images in one request. */
  @Inject
  @ConfigProperty(name = "llada.images.max-per-request", defaultValue = "8")
  int maxPerRequest;

  /** Requests decoding images at once (default: one per core; {@link DecodeGate}). */
  @Inject
  @ConfigProperty(name = "llada.images.max-concurrent-decodes", defaultValue = "0")
  int maxConcurrentDecodes;

  private volatile DecodeGate gate;

  private DecodeGate gate() {
    DecodeGate g = gate;
    if (g == null) {
      synchronized (this) {
        if (gate == null) {
          gate =
              new DecodeGate(
                  maxConcurrentDecodes > 0
                      ? maxConcurrentDecodes
                      : Runtime.getRuntime().availableProcessors());
        }
        g = gate;
      }
    }
    return g;
  }

  /** What one image may cost before it is decoded. */
  ImageLimits limits() {
    return new ImageLimits(maxBytes, maxPixels, maxSide);
  }

  /**
   * {@code chat} rendered, its images decoded and preprocessed, checked against the model and
   * priced (each image as its positions of prompt tokens).
   */
  PreparedRequest prepare(ModelRef model, OpenAiPrompts.Chat chat, DiffusionParams params) {
    String prompt = ChatTemplate.render(chat.messages());
    List<ImageParts.Part> parts = chat.images();
    if (parts.isEmpty()) {
      return inference.prepare(model, prompt, "messages", params);
    }
    if (parts.size() > maxPerRequest) {
      throw new InvalidRequestException(
          "too_many_images",
          "messages",
          "The request has "
              + parts.size()
              + " images; at most "
              + maxPerRequest
              + " are taken in one request.");
    }
    inference.checkImages(model, prompt, parts.size(), params, "messages");
    ImageLimits limits = limits();
    List<float[]> pixels = new ArrayList<>();
    try (DecodeGate.Turn turn = gate().enter()) { // a bounded number of requests decode at once
      for (ImageParts.Part part : parts) { // one full-size image held at a time
        BufferedImage image = decode(part, limits);
        try {
          pixels.add(inference.pixels(model, image));
        } catch (ImageInputException e) {
          throw new InvalidRequestException(e.code(), part.param(), e.getMessage());
        } catch (IllegalArgumentException e) { // not an image fault the decoder names
          throw new InvalidRequestException(part.param(), e.getMessage());
        }
      }
    }
    return inference.prepare(model, prompt, "messages", params, pixels);
  }

  /** The image of {@code part} as 8-bit RGB, within {@code limits}; refusals name the part. */
  static BufferedImage decode(ImageParts.Part part, ImageLimits limits) {
    try {
      return ImageDecoder.decode(part.bytes(), limits);
    } catch (ImageInputException e) {
      throw new InvalidRequestException(e.code(), part.param(), message(e));
    }
  }

  /** The decoder's message as a sentence. */
  private static String message(ImageInputException e) {
    String m = e.getMessage() == null ? e.code() : e.getMessage();
    m = m.isEmpty() ? m : Character.toUpperCase(m.charAt(0)) + m.substring(1);
    return m.endsWith(".") ? m : m + ".";
  }
}

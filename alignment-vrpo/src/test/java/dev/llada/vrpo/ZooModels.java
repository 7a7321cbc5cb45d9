package dev.llada.vrpo;

import ai.djl.Device;
import dev.llada.core.model.LladaNetwork;
import java.nio.file.Path;

/** The shipped tiny models, loaded for tests. */
final class ZooModels {

  static final Path INSTRUCT = Path.of("..", "models", "llada-tiny-instruct");
  static final Path BASE = Path.of("..", "models", "llada-tiny-base");

  private ZooModels() {}

  static LladaNetwork load(Path dir) {
    return LladaNetwork.load(dir, Device.cpu(), false);
  }
}

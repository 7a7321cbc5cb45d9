package dev.llada.core.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llada.core.vision.ShapeScenes.Category;
import dev.llada.core.vision.ShapeScenes.Item;
import dev.llada.core.vision.ShapeScenes.Shape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The visual suite: answers follow from the scene, pixels from the shapes, splits stay apart. */
class ShapeScenesTest {

  private final ShapeScenes scenes = new ShapeScenes(64);

  private static int[] pixels(BufferedImage image) {
    return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
  }

  @Test
  void itemsAreDeterministicAndTheirAnswersFollowFromTheScene() {
    for (Category c : Category.values()) {
      SplittableRandom a = new SplittableRandom(5);
      SplittableRandom b = new SplittableRandom(5);
      Set<String> answers = new HashSet<>();
      for (int i = 0; i < 200; i++) {
        Item x = scenes.next(c, a, false);
        Item y = scenes.next(c, b, false);
        assertEquals(x.question(), y.question());
        assertEquals(x.sceneKey(), y.sceneKey());
        assertArrayEquals(pixels(x.image()), pixels(y.image()), "the same pixels");
        assertEquals(expectedAnswer(x), x.answer(), x.sceneKey() + " " + x.question());
        answers.add(x.answer());
        for (Shape s : x.scene()) { // the centre of each shape's cell has its exact colour
          int centre = x.image().getRGB(s.column() * 16 + 8, s.row() * 16 + 8) & 0xFFFFFF;
          assertEquals(s.hue().rgb, centre, s.toString());
        }
        assertEquals(0xFFFFFF, x.image().getRGB(0, 0) & 0xFFFFFF, "white background at the corner");
      }
      assertTrue(answers.size() >= 2, c + " answers: " + answers);
    }
  }

  /** The answer recomputed from the scene by the question's words. */
  private static String expectedAnswer(Item item) {
    String q = item.question();
    var scene = item.scene();
    switch (item.category()) {
      case COLOUR -> {
        String kind = q.substring("what colour is the ".length(), q.length() - 1);
        var matching = scene.stream().filter(s -> s.kind().word().equals(kind)).toList();
        assertEquals(1, matching.size(), "the shape asked about is unique");
        return matching.get(0).hue().word();
      }
      case SHAPE -> {
        String hue = q.substring("what shape is the ".length(), q.indexOf(" one?"));
        var matching = scene.stream().filter(s -> s.hue().word().equals(hue)).toList();
        assertEquals(1, matching.size());
        return matching.get(0).kind().word();
      }
      case COUNT -> {
        if (q.equals("how many shapes?")) {
          return Integer.toString(scene.size());
        }
        String hue = q.substring("how many ".length(), q.indexOf(" shapes?"));
        return Long.toString(scene.stream().filter(s -> s.hue().word().equals(hue)).count());
      }
      case POSITION -> {
        Shape a = scene.get(0);
        Shape b = scene.get(1);
        assertTrue(q.startsWith("is the " + a.hue().word() + " " + a.kind().word()), q);
        return q.contains("left or right")
            ? (a.column() < b.column() ? "left" : "right")
            : (a.row() < b.row() ? "above" : "below");
      }
      default -> {
        String[] words = q.split(" ");
        String x = words[3].substring(0, words[3].length() - 1);
        String y = words[5].substring(0, words[5].length() - 2);
        long nx = scene.stream().filter(s -> s.kind().word().equals(x)).count();
        long ny = scene.stream().filter(s -> s.kind().word().equals(y)).count();
        return nx > ny ? "yes" : "no";
      }
    }
  }

  @Test
  void heldOutItemsNeverAppearInTraining() {
    for (Category c : Category.values()) {
      Set<String> train = new HashSet<>();
      SplittableRandom r = new SplittableRandom(11);
      for (int i = 0; i < 500; i++) {
        Item item = scenes.next(c, r, false);
        assertFalse(ShapeScenes.isTest(item));
        train.add(item.sceneKey() + "|" + item.question());
      }
      SplittableRandom t = new SplittableRandom(12);
      for (int i = 0; i < 100; i++) {
        Item item = scenes.next(c, t, true);
        assertTrue(ShapeScenes.isTest(item));
        assertFalse(train.contains(item.sceneKey() + "|" + item.question()), "split by scene");
      }
    }
    // about one item in ten is held out
    Map<Boolean, Integer> split = new HashMap<>();
    SplittableRandom r = new SplittableRandom(3);
    for (int i = 0; i < 4000; i++) {
      Item item = scenes.sample(Category.COUNT, r);
      split.merge(ShapeScenes.isTest(item), 1, Integer::sum);
    }
    double share = split.getOrDefault(true, 0) / 4000.0;
    assertTrue(share > 0.07 && share < 0.13, "held-out share " + share);
  }

  @Test
  void scenesSurviveAPngRoundTripExactly() throws Exception {
    Item item = scenes.next(Category.COUNT, new SplittableRandom(1), false);
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(item.image(), "png", png);
    BufferedImage back = ImageDecoder.decode(png.toByteArray(), ImageLimits.DEFAULT);
    int[] a = pixels(item.image());
    int[] b = pixels(back);
    for (int i = 0; i < a.length; i++) {
      assertEquals(a[i] & 0xFFFFFF, b[i] & 0xFFFFFF);
    }
  }
}

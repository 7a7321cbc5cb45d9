package dev.llada.core.vision;

import dev.llada.core.tasks.Task;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * The synthetic visual task suite (issue #20, item 3): coloured shapes on a white {@code size ×
 * size} canvas, one to four of them on a 4 × 4 grid of cells, and a question of one of five
 * categories about the scene — colour ("what colour is the circle?"), shape ("what shape is the red
 * one?"), count ("how many shapes?", "how many blue shapes?"), relative position ("is the red
 * circle left or right of the blue square?") and comparison ("are there more circles than
 * squares?"). Answers are one word. Scenes are drawn without anti-aliasing, so every shape pixel
 * has its exact colour. The held-out split is the text suite's rule applied to the scene and the
 * question together: md5(category, scene, question) mod 10 == 0.
 */
public final class ShapeScenes {

  /** The question categories. */
  public enum Category {
    COLOUR,
    SHAPE,
    COUNT,
    POSITION,
    COMPARISON;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A shape kind. */
  public enum Kind {
    CIRCLE,
    SQUARE,
    TRIANGLE;

    String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** A colour with its exact RGB value. */
  public enum Hue {
    RED(0xE0_20_20),
    GREEN(0x20_A0_20),
    BLUE(0x20_40_E0),
    YELLOW(0xF0_D0_00),
    PURPLE(0x90_30_C0);

    public final int rgb;

    Hue(int rgb) {
      this.rgb = rgb;
    }

    String word() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One shape in grid cell (column, row). */
  public record Shape(Kind kind, Hue hue, int column, int row) {
    String describe() {
      return hue.word() + " " + kind.word() + "@" + column + "," + row;
    }
  }

  /** An item: the scene, its image, the question and its one-word answer. */
  public record Item(
      Category category, List<Shape> scene, BufferedImage image, String question, String answer) {

    /** The scene in words, sorted: the identity the split is computed on. */
    public String sceneKey() {
      return scene.stream().map(Shape::describe).sorted().collect(Collectors.joining(";"));
    }
  }

  private static final int GRID = 4;

  private final int size;

  /** Scenes of {@code size × size} pixels (a multiple of 4, at least 32). */
  public ShapeScenes(int size) {
    if (size < 32 || size % GRID != 0) {
      throw new IllegalArgumentException("scene size must be a multiple of 4, at least 32");
    }
    this.size = size;
  }

  /** The next item of a category and split. */
  public Item next(Category category, SplittableRandom random, boolean test) {
    for (int attempt = 0; attempt < 10_000; attempt++) {
      Item item = sample(category, random);
      if (item != null && isTest(item) == test) {
        return item;
      }
    }
    throw new IllegalStateException(category + ": no " + (test ? "test" : "train") + " item found");
  }

  /** Whether an item is held out. */
  public static boolean isTest(Item item) {
    return Task.isTest("shapes-" + item.category().id(), item.sceneKey() + "|" + item.question());
  }

  /** A random item of {@code category}, or null when the scene drawn cannot pose that question. */
  Item sample(Category category, SplittableRandom r) {
    List<Shape> scene = scene(r, category == Category.POSITION ? 2 : 1 + r.nextInt(4));
    String question;
    String answer;
    switch (category) {
      case COLOUR -> {
        Shape s = unique(scene, x -> x.kind() == scene.get(0).kind());
        if (s == null) {
          return null;
        }
        question = "what colour is the " + s.kind().word() + "?";
        answer = s.hue().word();
      }
      case SHAPE -> {
        Shape s = unique(scene, x -> x.hue() == scene.get(0).hue());
        if (s == null) {
          return null;
        }
        question = "what shape is the " + s.hue().word() + " one?";
        answer = s.kind().word();
      }
      case COUNT -> {
        if (r.nextBoolean()) {
          question = "how many shapes?";
          answer = Integer.toString(scene.size());
        } else {
          Hue hue = Hue.values()[r.nextInt(Hue.values().length)];
          question = "how many " + hue.word() + " shapes?";
          answer = Long.toString(scene.stream().filter(s -> s.hue() == hue).count());
        }
      }
      case POSITION -> {
        Shape a = scene.get(0);
        Shape b = scene.get(1);
        if (a.kind() == b.kind() && a.hue() == b.hue()) {
          return null;
        }
        boolean horizontal = a.column() != b.column() && (a.row() == b.row() || r.nextBoolean());
        if (!horizontal && a.row() == b.row()) {
          return null;
        }
        String first = a.hue().word() + " " + a.kind().word();
        String second = b.hue().word() + " " + b.kind().word();
        if (horizontal) {
          question = "is the " + first + " left or right of the " + second + "?";
          answer = a.column() < b.column() ? "left" : "right";
        } else {
          question = "is the " + first + " above or below the " + second + "?";
          answer = a.row() < b.row() ? "above" : "below";
        }
      }
      default -> {
        Kind x = Kind.values()[r.nextInt(3)];
        Kind y = Kind.values()[(x.ordinal() + 1 + r.nextInt(2)) % 3];
        long nx = scene.stream().filter(s -> s.kind() == x).count();
        long ny = scene.stream().filter(s -> s.kind() == y).count();
        question = "are there more " + x.word() + "s than " + y.word() + "s?";
        answer = nx > ny ? "yes" : "no";
      }
    }
    return new Item(category, scene, draw(scene), question, answer);
  }

  private static Shape unique(List<Shape> scene, java.util.function.Predicate<Shape> p) {
    List<Shape> matching = scene.stream().filter(p).toList();
    return matching.size() == 1 ? matching.get(0) : null;
  }

  /** {@code n} shapes in distinct cells, sorted by cell. */
  private static List<Shape> scene(SplittableRandom r, int n) {
    List<Integer> cells = new ArrayList<>();
    for (int i = 0; i < GRID * GRID; i++) {
      cells.add(i);
    }
    List<Shape> scene = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int cell = cells.remove(r.nextInt(cells.size()));
      scene.add(
          new Shape(
              Kind.values()[r.nextInt(Kind.values().length)],
              Hue.values()[r.nextInt(Hue.values().length)],
              cell % GRID,
              cell / GRID));
    }
    if (n > 2) {
      scene.sort(Comparator.comparingInt(s -> s.row() * GRID + s.column()));
    }
    return scene;
  }

  /** The scene on white, no anti-aliasing: every shape pixel has its hue's exact colour. */
  public BufferedImage draw(List<Shape> scene) {
    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, size, size);
      int cell = size / GRID;
      int margin = cell / 8;
      int extent = cell - 2 * margin;
      for (Shape s : scene) {
        int x = s.column() * cell + margin;
        int y = s.row() * cell + margin;
        g.setColor(new Color(s.hue().rgb));
        switch (s.kind()) {
          case CIRCLE -> g.fillOval(x, y, extent, extent);
          case SQUARE -> g.fillRect(x, y, extent, extent);
          default ->
              g.fillPolygon(
                  new Polygon(
                      new int[] {x + extent / 2, x + extent, x},
                      new int[] {y, y + extent, y + extent},
                      3));
        }
      }
    } finally {
      g.dispose();
    }
    return image;
  }
}

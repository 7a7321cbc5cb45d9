package dev.llada.platform;

import dev.llada.platform.interfaces.rest.EndpointAccess;
import jakarta.ws.rs.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Every endpoint of the API, found from the JAX-RS resources themselves (so a new endpoint cannot
 * be left out of a security test), and the role table of docs/SECURITY.md.
 */
public final class Endpoints {

  private Endpoints() {}

  /** "METHOD /v1/path/{param}" of every resource method, sorted. */
  public static List<String> all() {
    List<String> out = new ArrayList<>();
    for (Class<?> c : resources()) {
      for (Method m : c.getMethods()) {
        if (EndpointAccess.httpMethod(m) != null) {
          out.add(EndpointAccess.endpoint(c, m));
        }
      }
    }
    return out.stream().sorted().distinct().toList();
  }

  private static List<Class<?>> resources() {
    try {
      java.nio.file.Path root =
          Paths.get(
              EndpointAccess.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      try (Stream<java.nio.file.Path> files = Files.walk(root)) {
        List<Class<?>> out = new ArrayList<>();
        for (java.nio.file.Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
          String name = root.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
          if (name.contains("$") || !name.startsWith("dev.llada.platform.")) {
            continue;
          }
          Class<?> c = Class.forName(name, false, Endpoints.class.getClassLoader());
          if (c.isAnnotationPresent(Path.class) && !Modifier.isAbstract(c.getModifiers())) {
            out.add(c);
          }
        }
        return out;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException | ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  /** docs/SECURITY.md's "Who may call what": endpoint to (column to cell), columns as written. */
  public static Map<String, Map<String, String>> securityTable() {
    java.nio.file.Path doc = Paths.get(System.getProperty("security.doc", "../docs/SECURITY.md"));
    List<String> lines;
    try {
      lines = Files.readAllLines(doc);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, Map<String, String>> table = new TreeMap<>();
    List<String> header = null;
    for (String line : lines) {
      if (line.startsWith("| Endpoint |")) {
        header = cells(line);
      } else if (header != null && line.startsWith("| `")) {
        List<String> cells = cells(line);
        Map<String, String> row = new java.util.LinkedHashMap<>();
        for (int i = 1; i < header.size(); i++) {
          row.put(header.get(i), cells.get(i).replace("`", ""));
        }
        table.put(cells.get(0).replace("`", ""), row);
      } else if (header != null && !line.startsWith("|")) {
        if (!table.isEmpty()) {
          break;
        }
      }
    }
    return table;
  }

  private static List<String> cells(String line) {
    String[] parts = line.strip().split("\\|");
    List<String> out = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      out.add(parts[i].strip());
    }
    return out;
  }
}

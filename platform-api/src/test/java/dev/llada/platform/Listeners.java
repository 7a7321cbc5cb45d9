package dev.llada.platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Listening TCP sockets of this machine, read from {@code /proc/net/tcp{,6}} (Linux). */
final class Listeners {

  private Listeners() {}

  record Socket(String address, int port) {}

  static List<Socket> listening() throws IOException {
    List<Socket> sockets = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path path = Path.of(table);
      if (!Files.exists(path)) {
        continue;
      }
      List<String> lines = Files.readAllLines(path);
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals("0A")) { // TCP_LISTEN
          continue;
        }
        String[] local = f[1].split(":");
        sockets.add(new Socket(address(local[0]), Integer.parseInt(local[1], 16)));
      }
    }
    return sockets;
  }

  private static String address(String hex) {
    if (hex.length() == 8) { // IPv4, little-endian
      long v = Long.parseLong(hex, 16);
      return (v & 0xff)
          + "."
          + ((v >> 8) & 0xff)
          + "."
          + ((v >> 16) & 0xff)
          + "."
          + ((v >> 24) & 0xff);
    }
    if (hex.equals("00000000000000000000000000000000")) {
      return "::";
    }
    if (hex.equals("0000000000000000FFFF00000100007F")) {
      return "127.0.0.1";
    }
    if (hex.equals("00000000000000000000000001000000")) {
      return "::1";
    }
    return hex;
  }
}

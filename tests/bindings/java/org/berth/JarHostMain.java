package org.berth;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;

/**
 * A host run from berth.jar alone (tests/bindings/packaging/test_java_jar.py): opens an engine on
 * the memory backend, joins two servers, looks a stream up, and prints key=value lines saying
 * where the native code came from (NativeLoader, and the libraries mapped into this process).
 */
public final class JarHostMain {
  private JarHostMain() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> settings = Map.of("backend.name", "memory", "backend.cluster", "jar-host",
        "engine.node_id", "n1");
    try (Engine engine = Engine.open(settings)) {
      engine.join("srv-a");
      engine.join("srv-b");
      engine.addStream("orders");
      engine.flush();
      // A lone node on memory leads at once; its refresh publishes what it was just told, so the
      // lookup never races the first publication.
      if (!engine.waitLeader(30_000)) throw new IllegalStateException("n1 did not lead within 30 s");
      engine.refresh();
      System.out.println("owner=" + engine.lookup("orders"));
      printMapped();  // while the engine is open, so its plugins are loaded
    }
    System.out.println("library_version=" + Engine.version());
    // The manifest of the jar Engine came from (the package itself is split with the test classes).
    java.net.URL jar = Engine.class.getProtectionDomain().getCodeSource().getLocation();
    try (java.util.jar.JarFile file = new java.util.jar.JarFile(Path.of(jar.toURI()).toFile())) {
      System.out.println("jar_version="
          + file.getManifest().getMainAttributes().getValue("Implementation-Version"));
    }
    System.out.println("loaded_from=" + NativeLoader.loadedFrom());
    System.out.println("tmpdir=" + Path.of(System.getProperty("java.io.tmpdir")).toRealPath());
  }

  private static void printMapped() throws java.io.IOException {
    TreeSet<String> mapped = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      int slash = line.indexOf('/');
      if (slash >= 0 && line.contains("berth")) {
        mapped.add(line.substring(slash));
      }
    }
    for (String path : mapped) {
      System.out.println("mapped=" + path);
    }
  }
}

package org.berth;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Loads libberthjni once, before the first native call, from the first of:
 * <ol>
 *   <li>the file named by {@code -Dberth.jni.library=<path>}, when set (nothing else is tried);</li>
 *   <li>{@code System.loadLibrary("berthjni")}, that is {@code java.library.path}, if that library's
 *       version is the jar's Implementation-Version (else it fails, naming both);</li>
 *   <li>the copy packed in the jar under {@code /native/<os>-<arch>/}: the JNI library, libberth
 *       and the built-in plugins, listed in that directory's {@code files.txt}, extracted into a
 *       fresh temporary directory (deleted when the JVM exits) keeping their layout, so the JNI
 *       library finds libberth next to itself (RPATH {@code $ORIGIN}) and libberth its plugins
 *       under {@code berth/plugins}.</li>
 * </ol>
 * When all fail, the UnsatisfiedLinkError lists each attempt and why it failed.
 */
final class NativeLoader {
  private static String loadedFrom;

  private NativeLoader() {}

  /** Where the JNI library was loaded from: a path, or "java.library.path". */
  static synchronized String loadedFrom() {
    return loadedFrom;
  }

  /** The jar's directory of native files for this platform, e.g. "/native/linux-x86_64/". */
  static String platformDirectory() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "amd64":
      case "x86_64":
        arch = "x86_64";
        break;
      case "arm64":
      case "aarch64":
        arch = "aarch64";
        break;
      default:
        break;
    }
    return "/native/" + os + "-" + arch + "/";
  }

  static synchronized void load() {
    if (loadedFrom != null) {
      return;
    }
    String explicit = System.getProperty("berth.jni.library");
    if (explicit != null && !explicit.isEmpty()) {
      String path = new File(explicit).getAbsolutePath();
      try {
        System.load(path);
      } catch (UnsatisfiedLinkError e) {
        throw failure(List.of("-Dberth.jni.library=" + path + ": " + e.getMessage()));
      }
      loadedFrom = path;
      return;
    }
    List<String> tried = new ArrayList<>();
    boolean onLibraryPath = false;
    try {
      System.loadLibrary("berthjni");
      onLibraryPath = true;
    } catch (UnsatisfiedLinkError e) {
      tried.add("System.loadLibrary(\"berthjni\") with java.library.path="
          + System.getProperty("java.library.path") + ": " + e.getMessage());
    }
    if (onLibraryPath) {
      checkLibraryPathVersion();
      loadedFrom = "java.library.path";
      return;
    }
    String dir = platformDirectory();
    try {
      Path library = extract(dir);
      System.load(library.toString());
      loadedFrom = library.toString();
    } catch (IOException | UnsatisfiedLinkError e) {
      tried.add("the jar's " + dir + "libberthjni.so: " + e.getMessage());
      throw failure(tried);
    }
  }

  /**
   * A libberthjni installed on java.library.path (say in /usr/lib) may be older or newer than this
   * jar: its native calls would not match the classes. Its version must be the manifest's
   * Implementation-Version; classes outside a jar (the build tree) have none to compare.
   */
  private static void checkLibraryPathVersion() {
    String expected = manifestVersion();
    if (expected == null) {
      return;
    }
    String actual;
    try {
      actual = berth_swigJNI.berth_version();
    } catch (UnsatisfiedLinkError e) {
      actual = "unknown (" + e.getMessage() + ")";
    }
    if (!expected.equals(actual)) {
      throw new UnsatisfiedLinkError("Berth's JNI library " + libraryPathHit()
          + " (from java.library.path) is version " + actual + ", but this berth.jar is version "
          + expected + ": remove or update that library, or take its directory off "
          + "java.library.path so that the jar loads its own");
    }
  }

  /** The Implementation-Version of the jar this class came from, or null outside a jar. */
  private static String manifestVersion() {
    try {
      java.security.CodeSource source = NativeLoader.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return null;
      }
      Path location = Path.of(source.getLocation().toURI());
      if (!Files.isRegularFile(location)) {
        return null;
      }
      try (java.util.jar.JarFile jar = new java.util.jar.JarFile(location.toFile())) {
        java.util.jar.Manifest manifest = jar.getManifest();
        return manifest == null ? null : manifest.getMainAttributes().getValue("Implementation-Version");
      }
    } catch (IOException | java.net.URISyntaxException | IllegalArgumentException
        | java.nio.file.FileSystemNotFoundException | SecurityException e) {
      return null;
    }
  }

  /** The file System.loadLibrary("berthjni") found: the first java.library.path entry holding it. */
  private static String libraryPathHit() {
    String name = System.mapLibraryName("berthjni");
    String path = System.getProperty("java.library.path", "");
    for (String dir : path.split(File.pathSeparator)) {
      File file = new File(dir.isEmpty() ? "." : dir, name);
      if (file.isFile()) {
        return file.getAbsolutePath();
      }
    }
    return name + " in java.library.path=" + path;
  }

  private static UnsatisfiedLinkError failure(List<String> tried) {
    StringBuilder message = new StringBuilder("Berth cannot load its JNI library libberthjni; tried:");
    for (String attempt : tried) {
      message.append("\n  - ").append(attempt);
    }
    message.append("\nSet -Dberth.jni.library=<path to libberthjni.so> or add its directory to "
        + "java.library.path, or use a berth.jar built for this platform.");
    return new UnsatisfiedLinkError(message.toString());
  }

  private static Path extract(String dir) throws IOException {
    List<String> files;
    try (InputStream index = NativeLoader.class.getResourceAsStream(dir + "files.txt")) {
      if (index == null) {
        throw new IOException("no " + dir + "files.txt in the class path (a jar without native code "
            + "for this platform)");
      }
      files = new String(index.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip).filter(line -> !line.isEmpty()).toList();
    }
    Path root = Files.createTempDirectory("berth-native-");
    // deleteOnExit runs in reverse order of registration: the directories go after their files.
    root.toFile().deleteOnExit();
    for (String name : files) {
      if (name.startsWith("/") || name.contains("..")) {
        throw new IOException(dir + "files.txt names " + name + ", outside its directory");
      }
      Path target = root.resolve(name);
      Files.createDirectories(target.getParent());
      registerDirectories(root, target.getParent());
      try (InputStream in = NativeLoader.class.getResourceAsStream(dir + name)) {
        if (in == null) {
          throw new IOException(dir + "files.txt lists " + name + ", which the jar does not hold");
        }
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
      }
      target.toFile().deleteOnExit();
    }
    Path library = root.resolve("libberthjni.so");
    if (!Files.isRegularFile(library)) {
      throw new IOException(dir + "files.txt does not list libberthjni.so");
    }
    return library;
  }

  private static final java.util.Set<Path> registered = new java.util.HashSet<>();

  private static void registerDirectories(Path root, Path dir) {
    List<Path> chain = new ArrayList<>();
    for (Path p = dir; !p.equals(root); p = p.getParent()) {
      chain.add(0, p);
    }
    for (Path p : chain) {
      if (registered.add(p)) {
        p.toFile().deleteOnExit();
      }
    }
  }
}

package org.berth;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Test;

/**
 * The result codes as Java sees them agree with abi/include/berth/result_codes.h, their one list
 * (path in -Dberth.result_codes): the SWIG constants, BerthException's constants and one
 * subclass per code, each code thrown as its own class, and nothing the header does not have. The
 * header is read here by a parser of this test's own, not by the build's. The Python twin is
 * tests/bindings/python/test_error_codes.py.
 */
public class ErrorCodesTest {
  private static final Pattern LINE =
      Pattern.compile("^#define BERTH_(OK|E_\\w+)\\s+(\\d+)\\s+/\\*\\s*([^:]+):\\s*(.*?)\\s*\\*/\\s*$");

  /** Symbol after BERTH_ (OK, E_INVALID_ARGUMENT, ...) to value, from the header. */
  static Map<String, Integer> headerCodes() throws IOException {
    String path = System.getProperty("berth.result_codes");
    if (path == null || path.isEmpty()) {
      fail("-Dberth.result_codes=<abi/include/berth/result_codes.h> is not set: run through ctest -R bindings.java");
    }
    Map<String, Integer> codes = new TreeMap<>();
    for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
      if (!line.startsWith("#define BERTH_") || line.startsWith("#define BERTH_RESULT_CODES_H")) continue;
      Matcher m = LINE.matcher(line);
      assertTrue(path + ": a result code line this test cannot read: " + line, m.matches());
      codes.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    assertTrue(path + ": no codes read", codes.containsKey("OK") && codes.size() > 1);
    return codes;
  }

  static String className(String symbol) {
    StringBuilder out = new StringBuilder();
    for (String word : symbol.substring(2).toLowerCase().split("_")) {
      out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
    }
    return out.append("Exception").toString();
  }

  static Set<String> intConstants(Class<?> type, String regex) throws IllegalAccessException {
    Set<String> names = new TreeSet<>();
    for (Field f : type.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class && f.getName().matches(regex)) {
        names.add(f.getName());
      }
    }
    return names;
  }

  @Test
  public void everyCodeIsASwigConstantOfTheSameValueAndNothingElseIs() throws Exception {
    Map<String, Integer> codes = headerCodes();
    Class<?> constants = Class.forName("org.berth.berth_swigConstants");
    for (Map.Entry<String, Integer> code : codes.entrySet()) {
      assertEquals("BERTH_" + code.getKey(), (int) code.getValue(),
          constants.getField("BERTH_" + code.getKey()).getInt(null));
    }
    Set<String> expected = new TreeSet<>();
    for (String symbol : codes.keySet()) expected.add("BERTH_" + symbol);
    assertEquals(expected, intConstants(constants, "BERTH_(OK|E_\\w+)"));
  }

  @Test
  public void everyErrorCodeIsABerthExceptionConstantAndNothingElseIs() throws Exception {
    Map<String, Integer> codes = headerCodes();
    Set<String> expected = new TreeSet<>();
    for (Map.Entry<String, Integer> code : codes.entrySet()) {
      if (code.getKey().equals("OK")) continue;
      String name = code.getKey().substring(2);
      expected.add(name);
      assertEquals("BerthException." + name, (int) code.getValue(), BerthException.class.getField(name).getInt(null));
    }
    assertEquals(expected, intConstants(BerthException.class, "[A-Z_]+"));
  }

  @Test
  public void everyErrorCodeIsThrownAsItsOwnClass() throws Exception {
    for (Map.Entry<String, Integer> code : headerCodes().entrySet()) {
      if (code.getKey().equals("OK")) continue;
      Class<?> type = Class.forName("org.berth." + className(code.getKey()));
      assertTrue(type.getName(), BerthException.class.isAssignableFrom(type));
      BerthException e = BerthException.fromNative(code.getValue(), "what went wrong");
      assertSame("fromNative(" + code.getValue() + ")", type, e.getClass());
      assertEquals((int) code.getValue(), e.code());
      assertEquals("what went wrong", e.getMessage());
    }
  }

  @Test
  public void theClassesHostsCatchTodayStay() throws Exception {
    for (String name : new String[] {"InvalidArgumentException", "NotFoundException", "NoServersException",
        "FencedException", "ConfigException", "PluginException", "UnavailableException", "CorruptException",
        "PermissionException", "StateException", "InternalException", "TimeoutException"}) {
      Class<?> type = Class.forName("org.berth." + name);
      assertSame(name, BerthException.class, type.getSuperclass());
      assertNotNull(name, type.getConstructor(String.class));
    }
  }

  @Test
  public void aCodeTheHeaderDoesNotListIsAPlainBerthException() {
    for (int code : new int[] {-1, 9999}) {
      BerthException e = BerthException.fromNative(code, "from a newer library");
      assertSame(BerthException.class, e.getClass());
      assertEquals(code, e.code());
    }
  }
}

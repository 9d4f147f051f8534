package org.berth;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Lookups per second through the Java bindings, one thread: known streams of a large snapshot,
 * in a shuffled order (uniform over all of them, so most probes miss the CPU caches), single calls
 * and batches; medians of 5 runs of 1 s, per second of wall time and per second of the thread's CPU
 * time (the floors apply to the latter: on a shared machine the thread is descheduled part of the
 * time, which says nothing about the bindings).
 *
 * <pre>
 * java -Dberth.jni.library=<build>/lib/libberthjni.so -cp <build>/bindings/berth.jar:<test classes>
 *   org.berth.BenchMain [--streams 100000] [--servers 100] [--batch 1000] [--runs 5]
 *   [--floor-single M] [--floor-batch M]
 * </pre>
 * With a floor (millions of lookups/s) it exits 1 when a median is below it (CTest's bench.java).
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    int streams = 100_000;
    int servers = 100;
    int batchSize = 1000;
    int runs = 5;
    double floorSingle = 0;
    double floorBatch = 0;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--streams" -> streams = Integer.parseInt(args[i + 1]);
        case "--servers" -> servers = Integer.parseInt(args[i + 1]);
        case "--batch" -> batchSize = Integer.parseInt(args[i + 1]);
        case "--runs" -> runs = Integer.parseInt(args[i + 1]);
        case "--floor-single" -> floorSingle = Double.parseDouble(args[i + 1]);
        case "--floor-batch" -> floorBatch = Double.parseDouble(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    try (Engine engine = Engine.open(Map.of("backend.cluster", "bench", "engine.node_id", "bench",
        "engine.refresh_on_change", "false", "engine.intake_refresh_delay", "0"))) {
      for (int i = 0; i < servers; ++i) {
        engine.join("srv-" + i);
      }
      List<String> names = new ArrayList<>(streams);
      for (int i = 0; i < streams; ++i) {
        names.add("stream-" + i);
        engine.addStream(names.get(i));
      }
      engine.flush();
      if (!engine.waitLeader(10_000)) {
        throw new IllegalStateException("no leadership");
      }
      engine.refresh();
      engine.waitVersion(1, 10_000);
      if (engine.status().streamCount() != streams) {
        throw new IllegalStateException("the snapshot has " + engine.status().streamCount() + " streams, not " + streams);
      }
      Collections.shuffle(names, new Random(42));
      String[] order = names.toArray(new String[0]);
      String[][] batches = new String[(streams + batchSize - 1) / batchSize][];
      for (int b = 0; b < batches.length; ++b) {
        batches[b] = Arrays.copyOfRange(order, b * batchSize, Math.min(streams, (b + 1) * batchSize));
      }

      // Rates per second of wall time and per second of this thread's CPU time: on a shared
      // machine the thread is descheduled for a part of every run, which is not the bindings' cost.
      ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
      double[][] rates = new double[4][runs]; // single wall, single cpu, batch wall, batch cpu
      long sink = 0;
      for (int r = 0; r < runs; ++r) {
        for (int kind = 0; kind < 2; ++kind) {
          long n = 0;
          long c0 = cpu.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          while (System.nanoTime() - t0 < 1_000_000_000L) {
            if (kind == 0) {
              for (String name : order) {
                sink += engine.lookup(name).length();
              }
            } else {
              for (String[] b : batches) {
                sink += engine.lookupBatch(b).length;
              }
            }
            n += order.length;
          }
          rates[2 * kind][r] = n / ((System.nanoTime() - t0) / 1e9);
          rates[2 * kind + 1][r] = n / ((cpu.getCurrentThreadCpuTime() - c0) / 1e9);
        }
      }
      double[] median = new double[4];
      for (int k = 0; k < 4; ++k) {
        double[] sorted = rates[k].clone();
        Arrays.sort(sorted);
        median[k] = sorted[runs / 2] / 1e6;
      }
      System.out.printf("java lookups/s, one thread (%d servers, %d known streams, shuffled; medians of %d runs): "
          + "single %.2f M (%.2f M per CPU-second), batch of %d %.2f M (%.2f M per CPU-second)%n", servers, streams,
          runs, median[0], median[1], batchSize, median[2], median[3]);
      System.out.printf("runs single %s M, batch %s M (checksum %d)%n", Arrays.toString(round(rates[0])),
          Arrays.toString(round(rates[2])), sink % 10);
      // The floors apply to the thread's own speed (per CPU-second).
      if (median[1] < floorSingle || median[3] < floorBatch) {
        System.out.printf("below the floor (single %.2f M, batch %.2f M)%n", floorSingle, floorBatch);
        System.exit(1);
      }
    }
  }

  private static double[] round(double[] perSecond) {
    double[] out = new double[perSecond.length];
    for (int i = 0; i < out.length; ++i) {
      out[i] = Math.round(perSecond[i] / 1e4) / 100.0;
    }
    return out;
  }
}

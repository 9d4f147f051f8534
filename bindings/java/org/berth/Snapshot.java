package org.berth;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;

/**
 * An immutable, versioned assignment. Holding it keeps it alive across later swaps; strings read
 * from it are copied into Java strings. Close it (or let the Cleaner) to release it.
 */
public final class Snapshot implements AutoCloseable {
  /** A server in the snapshot: its id, capacity, load and number of streams. */
  public record Server(String id, double capacity, double load, long streams) {}

  /** A stream in the snapshot: its id, its owner's id (null if unassigned) and its load. */
  public record Stream(String id, String owner, double load) {}

  private final NativeHandle handle;
  private final Cleaner.Cleanable cleanable;

  Snapshot(long handle) {
    this.handle = new NativeHandle(handle, berth_swigJNI::berth_snapshot_release);
    this.cleanable = NativeHandle.CLEANER.register(this, this.handle);
  }

  private long handle() {
    long h = handle.get();
    if (h == 0) {
      throw new StateException("the snapshot is released");
    }
    return h;
  }

  public long version() {
    try {
      return berth_swigJNI.berth_snapshot_version(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public long epoch() {
    try {
      return berth_swigJNI.berth_snapshot_epoch(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public String policy() {
    try {
      return berth_swigJNI.berth_snapshot_policy(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public String leader() {
    try {
      return berth_swigJNI.berth_snapshot_leader(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public int serverCount() {
    try {
      return berth_swigJNI.berth_snapshot_server_count(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public long streamCount() {
    try {
      return berth_swigJNI.berth_snapshot_stream_count(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** The server at {@code index}; InvalidArgumentException when out of range. */
  public Server server(int index) {
    String[] id = new String[1];
    double[] capacity = new double[1];
    double[] load = new double[1];
    long[] streams = new long[1];
    try {
      berth_swigJNI.berth_snapshot_server(handle(), index, id, capacity, load, streams);
    } finally {
      Reference.reachabilityFence(this);
    }
    return new Server(id[0], capacity[0], load[0], streams[0]);
  }

  public List<Server> servers() {
    int n = serverCount();
    List<Server> out = new ArrayList<>(n);
    for (int i = 0; i < n; ++i) {
      out.add(server(i));
    }
    return out;
  }

  /** The stream at {@code index}; InvalidArgumentException when out of range. */
  public Stream stream(long index) {
    return stream(index, servers());
  }

  private Stream stream(long index, List<Server> servers) {
    String[] id = new String[1];
    int[] owner = new int[1];
    double[] load = new double[1];
    try {
      berth_swigJNI.berth_snapshot_stream(handle(), index, id, owner, load);
    } finally {
      Reference.reachabilityFence(this);
    }
    int o = owner[0];
    return new Stream(id[0], o >= 0 && o < servers.size() ? servers.get(o).id() : null, load[0]);
  }

  public List<Stream> streams() {
    List<Server> servers = servers();
    long n = streamCount();
    List<Stream> out = new ArrayList<>((int) Math.min(n, Integer.MAX_VALUE));
    for (long i = 0; i < n; ++i) {
      out.add(stream(i, servers));
    }
    return out;
  }

  // ---- the catalogue's view (docs/catalogue.md) ----

  /** What operators set, sorted by server id. */
  public List<ServerEntry> operatorServers() {
    try {
      return CatalogueCalls.operatorServers(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Every server as placement sees it (the snapshot's server order), with its weight. */
  public List<ServerEntry> serverEntries() {
    try {
      return CatalogueCalls.serverEntries(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** Server id to configured capacity, effective factor and smoothed signals. */
  public java.util.Map<String, ServerWeight> weights() {
    try {
      return CatalogueCalls.weights(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** The weigher the weights come from; empty when the snapshot has none. */
  public java.util.Optional<String> weigher() {
    try {
      return java.util.Optional.ofNullable(berth_swig.berth_snapshot_weigher(handle()));
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** The shared rules this snapshot carries. */
  public Rules rules() {
    try {
      return CatalogueCalls.rules(handle());
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  public boolean isReleased() {
    return handle.get() == 0;
  }

  @Override
  public void close() {
    cleanable.clean();
  }

  @Override
  public String toString() {
    if (isReleased()) {
      return "Snapshot(released)";
    }
    return "Snapshot(version=" + version() + ", servers=" + serverCount() + ", streams=" + streamCount() + ")";
  }
}

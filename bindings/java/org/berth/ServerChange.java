package org.berth;

import java.util.Map;
import java.util.Objects;

/**
 * What {@link Engine#setServer} changes on one server: only the parts named here, the others stay
 * as they are. Immutable; each method returns a copy with one more part.
 *
 * <pre>{@code
 * engine.setServer(ServerChange.of("store-7").register().capacity(2.0).labels(Map.of("zone", "a")));
 * engine.setServer(ServerChange.of("store-7").state(ServerState.DRAINING));
 * }</pre>
 */
public final class ServerChange {
  final String server;
  final int fields;
  final double capacity;
  final ServerState state;
  final String labels;

  private ServerChange(String server, int fields, double capacity, ServerState state, String labels) {
    this.server = server;
    this.fields = fields;
    this.capacity = capacity;
    this.state = state;
    this.labels = labels;
  }

  /** A change of {@code server} that sets nothing yet. */
  public static ServerChange of(String server) {
    return new ServerChange(Args.serverId(server, "server id"), 0, 0, null, null);
  }

  /** Registers the server: it persists without a member. */
  public ServerChange register() {
    return new ServerChange(server, fields | ServerField.REGISTER.bit, capacity, state, labels);
  }

  /** Its capacity (weight): finite and above 0. */
  public ServerChange capacity(double capacity) {
    return new ServerChange(server, fields | ServerField.CAPACITY.bit, Args.finite(capacity, "capacity"),
        state, labels);
  }

  public ServerChange state(ServerState state) {
    return new ServerChange(server, fields | ServerField.STATE.bit, capacity,
        Objects.requireNonNull(state, "state"), labels);
  }

  /** Its labels as "zone=a,ssd" ("": none). */
  public ServerChange labels(String labels) {
    return new ServerChange(server, fields | ServerField.LABELS.bit, capacity, state,
        Objects.requireNonNull(labels, "labels"));
  }

  /**
   * Its labels, key to value ("" or null: a bare tag, read back as ""); an empty map clears them.
   * A null, empty or ',' / '=' holding key, or a value holding ',', throws
   * {@link InvalidArgumentException} naming the label.
   */
  public ServerChange labels(Map<String, String> labels) {
    return labels(Args.labelsText(labels));
  }

  public String server() {
    return server;
  }

  @Override
  public String toString() {
    return "ServerChange[" + server + " " + ServerField.fromMask(fields) + "]";
  }
}

@0xa15b4f69fa12bcd1;
# A FROZEN COPY of abi/schema/snapshot.capnp as first published (commit 3200b4e), for the test
# that today's decoder reads what an old leader wrote. Only the file id (type ids are not on the
# wire) and the C++ namespace differ, so it can be linked beside the current schema. Never edit.

$import "/capnp/c++.capnp".namespace("berth::schema_v1");

struct Snapshot {
  version @0 :UInt64;            # grows by one with every publish
  epoch @1 :UInt64;              # leadership epoch of the publisher
  policy @2 :Text;               # policy plugin name
  behaviourVersion @3 :UInt32;   # that policy's behaviour version
  rulesHash @4 :UInt64;          # hash of the tenant rules in force (0: none)
  createdUnixMs @5 :Int64;
  leader @6 :Text;               # node id of the publisher
  servers @7 :List(Server);
  tenants @8 :List(Text);        # streams refer to tenants by index
  streams @9 :Streams;
}

struct Server {
  id @0 :Text;
  capacity @1 :Float64;
  state @2 :State;
  labels @3 :List(Label);

  enum State {
    up @0;
    draining @1;
    readOnly @2;
  }
}

struct Label {
  key @0 :Text;
  value @1 :Text;
}

# Streams as columns: far smaller and faster than a list of structs with a Text each.
# Stream i's id is ids[offsets[i] .. offsets[i+1]); the other lists are indexed by i.
struct Streams {
  ids @0 :Data;                  # every id, concatenated
  idEnds @1 :List(UInt32);       # end offset of each id in `ids`
  tenant @2 :List(UInt32);       # index into Snapshot.tenants
  load @3 :List(Float32);        # appraised load
  owner @4 :List(UInt32);        # index into Snapshot.servers
  status @5 :List(StreamStatus); # empty: every stream active
  readLocations @6 :List(List(UInt32)); # per migrating stream (Marconi); empty otherwise
}

enum StreamStatus {
  active @0;
  migrating @1;
}

@0x92b46f0cb7d63852;
# The published assignment: what the leader writes and every follower reads.
# Part of the ABI: evolve by Cap'n Proto's rules only (append fields with new ordinals, never
# renumber, retype or remove), so every older reader keeps reading newer snapshots. One exception,
# by design: implicit owners (Streams.ownersImplicit) are refused by readers predating them, which
# see an owner list shorter than the ids; writers can be told not to use them
# (engine.implicit_owners = false) while such readers remain.

$import "/capnp/c++.capnp".namespace("berth::schema");

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
  delta @10 :Delta;              # set only when this message is a delta, not a full snapshot
  tombstones @11 :List(Text);    # streams removed on purpose, oldest first, at most 65536: a
                                 # lookup or a load report does not bring them back, an add does.
                                 # A delta carries them in its head.
  softHandoff @12 :Bool;         # the publisher grants moved streams before their release
                                 # (ownership.soft_handoff: no at-most-one guarantee)
  removedHolds @13 :List(RemovedHold);  # streams removed while held, still held (docs/ownership.md);
                                        # each is among `tombstones`; a delta carries them in its head
  # The catalogue (docs/catalogue.md). Each is absent (or empty) in a version without it; a delta
  # carries them in its head.
  operatorServers @14 :List(OperatorServer);  # what operators set on servers, by server id
  catalogue @15 :Catalogue;      # migrations, extra read locations and purges
  sharedRules @16 :SharedRules;  # the tenant rules every leader applies
  weighting @17 :Weighting;      # dynamic weights: the signals heard and the weights they gave
  lapsingHolds @18 :List(LapsingHold);  # streams whose holder vanished, granted to nobody until the
                                        # wait ends (docs/ownership.md); a delta carries them in its head
}

# What an operator set on one server (docs/catalogue.md, "Servers an operator manages"): a
# registered server persists without a member; the other fields override what its member says.
# Each optional part is present only when its has-flag is set (an unset part leaves the member's).
struct OperatorServer {
  id @0 :Text;
  registered @1 :Bool;           # persists without a member (serving nothing, routed to)
  hasCapacity @2 :Bool;
  capacity @3 :Float64;          # finite, > 0
  hasState @4 :Bool;
  state @5 :Server.State;
  hasLabels @6 :Bool;
  labels @7 :List(Label);
  migrate @8 :Bool;              # marked for data migration: its streams migrate out
}

# Per-stream catalogue entries beyond owner and holder (docs/catalogue.md, "The catalogue").
# The Catalogue lists are the source of truth for status and read locations (Streams.status and
# readLocations stay unwritten): they hold the few streams not plainly active on their owner, and
# travel whole in every delta's head.
struct Catalogue {
  migrations @0 :List(Migration);      # running: write to destination, read from both
  queued @1 :List(QueuedMigration);    # asked for, waiting for a concurrency bound, in order
  sealedReads @2 :List(StreamAt);      # a read-only server a stream moved off, still read
  purges @3 :List(StreamAt);           # locations of deleted streams not yet purged
  recent @4 :List(RecentMigration);    # streams that finished a migration within the interval
}

struct Migration {
  stream @0 :Text;
  source @1 :Text;               # server id
  destination @2 :Text;          # server id
  sinceVersion @3 :UInt64;       # the version that started it
  failures @4 :UInt32;           # copies reported failed
}

struct QueuedMigration {
  stream @0 :Text;
  destination @1 :Text;          # server id; empty: the policy chooses
}

struct StreamAt {
  stream @0 :Text;
  server @1 :Text;
}

struct RecentMigration {
  stream @0 :Text;
  doneUnixMs @1 :Int64;
}

# Tenant rules stored in the backend (docs/catalogue.md, "Rules every node shares").
# Absent until the first accepted push; from then on in every version.
struct SharedRules {
  version @0 :UInt64;            # grows by one with every accepted push (>= 1)
  script @1 :Text;               # at most 64 KiB (docs/limits.md)
  hash @2 :UInt64;               # XXH3-64 of the script (never 0), what rulesHash records
  inBase @3 :Bool;               # a delta's head only: the script is its base's (same version and
                                 # hash) and is not repeated here
}

# Dynamic weights (docs/catalogue.md, "Dynamic weights").
struct Weighting {
  plugin @0 :Text;               # the weigher that computed them
  servers @1 :List(Weighed);     # by id, ascending: every server of the version

  struct Weighed {
    id @0 :Text;
    capacity @1 :Float64;        # configured (what its member or operator says), > 0
    factor @2 :Float64;          # effective: the version's capacity is capacity * factor
    signals @3 :List(Signal);    # smoothed, by name, ascending
    following @4 :Int8;          # the factor follows its target: 1 up, -1 down, 0 holding
  }

  struct Signal {
    name @0 :Text;
    value @1 :Float64;           # finite
  }
}

struct RemovedHold {
  stream @0 :Text;
  holder @1 :UInt32;             # index into Snapshot.servers
  token @2 :UInt64;              # the holder's fencing token (not 0)
}

struct LapsingHold {
  stream @0 :Text;
  server @1 :Text;               # the vanished holder's id
  incarnation @2 :UInt64;        # of the registration that held the stream
  token @3 :UInt64;              # its fencing token (not 0)
  epoch @4 :UInt64;              # of the leader whose monotonic clock untilNs is on
  untilNs @5 :UInt64;            # nobody is granted the stream before
}

struct Server {
  id @0 :Text;
  capacity @1 :Float64;
  state @2 :State;
  labels @3 :List(Label);
  incarnation @4 :UInt64;        # of the server's registration (docs/ownership.md); 0: none known
  serving @5 :Bool;              # a host serves its streams (opened its ownership feed): only then is it granted any

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

  # Owners left implicit, for a policy with default owners (`hash`: each stream's first hash
  # choice). Then `owner` is empty and stream i sits on the server Snapshot.policy, at
  # Snapshot.behaviourVersion, gives it from the servers and the hash of its id alone, unless i is
  # listed below. A reader predating these fields rejects such a snapshot (its `owner` is shorter
  # than its ids) rather than misreading it.
  ownersImplicit @7 :Bool;
  exceptionIndex @8 :List(UInt32);  # ascending indices of the streams not on their default owner
  exceptionOwner @9 :List(UInt32);  # per exception: its owner, an index into Snapshot.servers

  # Ownership (docs/ownership.md): who holds each stream, under which fencing token. No holders
  # and no tokens at all (every list below empty, holdersAreOwners false): nobody holds anything,
  # as written by a leader predating ownership. Otherwise one holder and one token per stream.
  holder @10 :List(UInt32);      # per stream: index into Snapshot.servers, or 0xFFFFFFFF (nobody)
  token @11 :List(UInt64);       # per stream: its holder's fencing token; 0 exactly when nobody holds it
  # Holders as the exceptions to the owners, since a stream is held by its owner except during a
  # hand-off: then `holder` is empty and stream i is held by owner i if that server is `serving`
  # (else by nobody) unless listed below.
  holdersAreOwners @12 :Bool;
  holderExceptionIndex @13 :List(UInt32);   # ascending indices of the streams held otherwise
  holderExceptionServer @14 :List(UInt32);  # per exception: its holder, as in `holder`
  # Tokens as a table, for tokens are versions and most streams share a few: then `token` is
  # empty and stream i's token is tokenTable[tokenIndex[i]].
  tokenTable @15 :List(UInt64);
  tokenIndex @16 :List(UInt16);
}

enum StreamStatus {
  active @0;
  migrating @1;
  deleting @2;
}

# A version published as its changes against a base: an earlier full snapshot (a checkpoint).
# Deltas are cumulative (each is against the checkpoint, never against another delta), so a reader
# needs only the checkpoint and the newest delta, never a chain.
#
# A delta travels as the `delta` field of a Snapshot whose other fields are left empty except
# `version` and `epoch` (for messages) and `streams`, which holds a guard: an `owner` list of one
# entry and no ids. A reader predating deltas therefore rejects the message (its columns disagree)
# instead of reading it as an empty snapshot.
#
# The streams of the version are the base's streams in the base's order, minus `removed`, with
# the new owner, load and tenant of each `changed` one (the others keep theirs, their owner and
# tenant matched to the head's tables by id and by name), followed by the head's own streams.
struct Delta {
  baseVersion @0 :UInt64;          # the checkpoint this applies to
  baseEpoch @1 :UInt64;            # ... published at this epoch
  baseStreams @2 :UInt64;          # ... with this many streams (every index below is smaller)
  head @3 :Data;                   # a packed Snapshot: this version's provenance, all its servers,
                                   # its tenant table and its tombstones; its streams are only those added since
                                   # the base (ids, tenant, load, owner), in order
  removed @4 :List(UInt32);        # base indices of streams gone since the base, ascending
  changed @5 :List(UInt32);        # base indices of streams whose owner, load, tenant, holder or
                                   # token changed, ascending, none of them removed
  changedOwner @6 :List(UInt32);   # per changed stream: index into the head's servers
  changedLoad @7 :List(Float32);   # per changed stream: its load
  changedTenant @8 :List(UInt32);  # per changed stream: index into the head's tenants
  # Ownership: whether this version has holders and tokens (then the head's streams carry theirs,
  # the unchanged streams keep the base's, and a stream whose holder or token changed is listed
  # in `changed`), and per changed stream its holder (as Streams.holder, in the head's servers)
  # and token. False: nobody holds anything in this version.
  held @9 :Bool;
  changedHolder @10 :List(UInt32);
  changedToken @11 :List(UInt64);
}

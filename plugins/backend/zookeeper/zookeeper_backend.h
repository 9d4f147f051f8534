// The `zookeeper` backend: membership, election, fenced publication and intake shared through a
// ZooKeeper ensemble, via the C client (libzookeeper_mt).
//
// Configuration:
//   connect          (required) "host:port[,host:port...]"
//   root             the znode under which everything lives, default "/berth"
//   session_timeout  the ZooKeeper session timeout, default "4s" (the server clamps it)
//   regeneration_window  how long a leader that finds the layout regenerated (seeds/ present,
//                    nothing published) waits for the nodes' offers before it publishes, default
//                    session_timeout + 1s; below session_timeout is refused (docs/catalogue.md,
//                    "Regeneration")
//   auth             a digest credential "user:password" (default: none, every node open).
//                    Every node this backend creates under root then carries the ACL
//                    digest(user:password) -> ALL, world -> READ: only holders of the credential
//                    can join, campaign, publish or submit; anyone may read. Reading stays open
//                    on purpose: the assignment is what every client of the cluster needs to know
//                    (read-only tools and hosts follow it without the secret), and digest auth over
//                    this client's plaintext connection could not keep it confidential anyway; what
//                    the ACL protects is the integrity of the published state. An instance without
//                    the credential (or with another) still opens and follows, but every change it
//                    attempts fails with BERTH_E_PERMISSION naming the znode and the ACL refusal.
//                    Ancestors of root that do not exist yet are created open, so clusters with
//                    other credentials can live beside this one. Root and every folder of the
//                    layout, whoever made them, must let nobody else change them: an instance with
//                    the credential refuses to open on one that does (zk_acl_check.cpp).
//
// Layout under root:
//   members/<id>              EPHEMERAL, data = the member's info (id %-encoded, see zk_names.h)
//   election/c_<session>_<seq>  EPHEMERAL_SEQUENTIAL candidates; the lowest seq leads; each candidate
//                             watches only its predecessor (no herd effect)
//   epoch                     persistent; its data version IS the epoch: a new leader bumps it
//                             with a multi (check own candidate + versioned set), data = the
//                             leading candidate's name
//   snapshots/latest          persistent pointer: version, epoch, chunk count, size, codec, and
//                             for a delta the same of its base (a checkpoint), kept while named here
//   snapshots/versions/<v>-<epoch>/<i>
//                             persistent chunks of <= 128 KiB of the version's zstd frame
//                             (zk_chunk_codec.h; raw from older builds), bounding what the server
//                             keeps in memory per transaction (zk_client.h, kChunkBytes)
//   seeds/o_<version>_<session>
//                             persistent; exists only after the layout was lost (zk_regeneration.cpp):
//                             each node's offer of the newest version it holds, data = its pointer
//                             once complete, children v_<i> (its chunks) and b_<i> (its base's)
//   intake/r_<seq>            PERSISTENT_SEQUENTIAL records for the leader; only the leader
//                             watches intake/ (a child watch set when it takes the lead, removed
//                             when it stops), so a submission wakes one node, not all
// A publication writes its chunks first, then flips `latest` in ONE multi that also checks this
// instance's candidate znode still exists and the epoch node's version is still its epoch: a
// leader deposed by a session expiry (its ephemeral candidate is gone) or by a successor (the
// epoch moved) can never overwrite what its successor published. Readers watch `latest` only.
//
// Lease (zk_lease.h): a heartbeat thread sends an exists request on root every quarter of the
// negotiated session timeout, without the backend's mutex (a long publication never delays it);
// each answer extends the lease to its send time plus the timeout. It ends when the session
// expires or is closed, and `session` is the ZooKeeper session id, new after a replaced session.
//
// Threads: ZooKeeper's callbacks only record what changed (Events); a worker thread re-arms the
// one-shot watches, advances the election, replaces an expired session, and then tells the host.
#pragma once

#include <zookeeper/zookeeper.h>

#include <condition_variable>
#include <cstdint>
#include <atomic>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "berth/plugin.hpp"
#include "full_snapshot_calls.h"
#include "watch_relay.h"
#include "zk_async.h"
#include "zk_chunk_codec.h"
#include "zk_client_log.h"
#include "zk_lease.h"
#include "zk_names.h"

namespace berth::zk {

// What ZooKeeper's own thread reports; shared with the worker. Nothing here calls ZooKeeper.
struct Events {
  std::mutex mutex;
  std::condition_variable wake;
  uint32_t pending = 0;  // BERTH_CHANGED_* bits and the internal flags below
  int session_state = 0;  // the last session state seen (ZOO_CONNECTED_STATE, ...)
  bool stop = false;
  int auth_rc = 1;  // the answer to zoo_add_auth (ZOK, ZAUTHFAILED, ...); 1 while none came
  // Paths the callback maps to change bits (set before the first watch, then read-only).
  std::string members, election, epoch, latest, intake;
  LeaseClock lease;  // ended by the callback as soon as the session is reported expired
  // The answers still to come to calls nothing waits for (the collection's, the heartbeats', the
  // re-arming of `latest`'s watch, the removal of intake/'s): the handle is closed once they came,
  // or after a session timeout, the rest forgotten; closed before, the client may drop them and
  // leak what they hold.
  Outstanding unanswered;
};

class ZkBackend : public backend::FullSnapshotCalls<ZkBackend> {
 public:
  ZkBackend(const berth_host_api* host, plugin::Config& config, const berth_backend_watch* watch);
  ~ZkBackend();
  ZkBackend(const ZkBackend&) = delete;
  ZkBackend& operator=(const ZkBackend&) = delete;

  void join(std::string_view member, std::string_view info);
  void leave(std::string_view member);
  void members(const plugin::Sink& out);
  void campaign();
  void resign();
  plugin::Leadership leadership();
  // Snapshot deltas: `latest` names the base too, whose chunks stay while it does.
  void publish_based(uint64_t epoch, uint64_t version, uint64_t base_version, std::string_view bytes);
  plugin::Fetched fetch_latest(uint64_t known_version, const plugin::Sink& out);
  void fetch_version(uint64_t version, const plugin::Sink& out);
  void submit(std::string_view record);
  void drain(const plugin::Sink& out);
  // Keys are the records' node names under intake/ (r_<sequence>).
  void peek_intake(const plugin::Sink& out);
  void settle_intake(const std::vector<std::string_view>& keys);
  // Lock-free; see zk_lease.h.
  plugin::Lease lease() const { return events_.lease.read(); }

 private:
  // All below with mutex_ held.
  zhandle_t* handle() const;                 // the live handle, or BERTH_E_UNAVAILABLE
  void connect_locked();                     // a new session; waits until connected
  void close_locked() noexcept;              // ends the session (and the lease, and heartbeats)
  void became_leader_locked();               // my_epoch_ just became non-zero: watch the intake
  void stopped_leading_locked();             // my_epoch_ just became 0: stop watching it
  void set_epoch_locked(uint64_t epoch) {    // every change of my_epoch_ goes through here
    const bool led = my_epoch_ != 0;
    my_epoch_ = epoch;
    if (!led && epoch != 0) became_leader_locked();
    if (led && epoch == 0) stopped_leading_locked();
  }
  void authenticate_locked();                // sends auth_ on a new session; waits for the answer
  void ensure_layout_locked(bool after_loss = false);  // after_loss: seeds/ first (zk_regeneration.cpp)
  // With auth_: BERTH_E_PERMISSION naming `path` when its ACL lets anyone else change it (zk_acl_check.cpp).
  void refuse_foreign_acl_locked(const std::string& path);
  // `host_reads_latest`: the host is told of the snapshot and reads `latest` after this returns,
  // so its watch is set without waiting for the answer.
  void arm_watches_locked(uint32_t what, bool host_reads_latest = false);
  void create_candidate_locked();            // a new EPHEMERAL_SEQUENTIAL candidate
  void try_lead_locked();                    // advance this instance's candidacy (again, when it went)
  bool own_candidate_locked();               // candidate_ exists and is this session's
  void register_locked();                    // after a new session: members and candidacy again
  bool get_locked(const std::string& path, std::string* data, Stat* stat);  // false: no node
  std::vector<std::string> children_locked(const std::string& path);
  // Throws BERTH_E_STATE unless this instance still leads (its epoch is the current one).
  void check_leads_locked(const char* operation);
  void delete_tree_locked(const std::string& path);
  // Old versions go once publications pause (zk_cleanup.cpp): a pass's deletions are writes on
  // this session, which the server would otherwise order before the next hand-off's reads.
  void collect_garbage_after_locked(const Latest& committed);  // records what may go, returns
  void collect_garbage_if_due_locked();                       // starts the pass when it is due
  // BERTH_E_CORRUPT when missing or unreadable, or erased (empty after it was set) unless
  // `erased_is_empty`; `data_version` receives the node's data version.
  Latest read_latest_locked(int32_t* data_version = nullptr, bool erased_is_empty = false);
  // False when a chunk is missing; `missing` then names the first znode not there.
  bool read_chunks_locked(uint64_t version, uint64_t epoch, uint64_t chunks, uint64_t size, std::string* bytes,
                          std::string* missing = nullptr);
  // After a chunk named by `latest` at `data_version` was found missing: BERTH_E_CORRUPT naming it
  // when the pointer has not moved since (the snapshot was damaged, not collected); returns when it
  // has (a newer version is out: read the pointer again).
  void fail_if_damaged_locked(int32_t data_version, const std::string& missing, uint64_t version);
  int64_t session_id_locked() const;
  std::string candidate_name() const;        // basename of candidate_, "" if none
  std::vector<std::string> candidates_locked();  // election/'s children, in the order they stood
  std::string describe_leader_locked();      // "leader: <candidate> at epoch <n>", for messages

  // Regeneration after the layout under root was deleted from outside (zk_regeneration.cpp).
  bool layout_missing_locked();              // some node of the layout is gone
  void recover_layout_locked();              // the layout again, this instance's members, candidacy, offer
  void register_members_again_locked();      // this session's members that are gone, created again
  void raise_epoch_locked();                 // the epoch node's version up to the highest epoch seen
  void hold_locked(const Latest& pointer, uint64_t version, std::string_view bytes);  // caches an offer
  void hold_decoded(const Latest& pointer, uint64_t version, std::string_view stored);  // takes mutex_
  void offer_if_behind_locked(const Latest& latest);  // offers the version held when `latest` is older
  // Leader, before a publication: waits out the window, restores the newest offer above `latest`
  // (then throws BERTH_E_STATE so the engine builds on it), or clears the seeds once passed.
  void restore_offers_locked(const Latest& latest, int32_t latest_data_version);

  void run_worker() noexcept;
  void run_heartbeats() noexcept;

  const berth_host_api* host_;
  ClientLog client_log_;  // before any handle is made, gone after the last is closed
  std::string connect_;
  std::string root_;
  int timeout_ms_ = 4000;
  Codec codec_ = Codec::zstd;        // how this instance stores the versions it publishes
  std::string auth_;                 // "user:password", "" for none
  ACL acl_entries_[2] = {};          // with auth_: creator's digest -> ALL, world -> READ
  ACL_vector acl_ = ZOO_OPEN_ACL_UNSAFE;  // what every node under root is created with
  std::string members_, election_, epoch_, snapshots_, latest_, versions_, intake_, seeds_;
  int64_t regeneration_window_ms_ = 0;  // set from the configuration
  backend::WatchRelay relay_;
  Events events_;

  mutable std::mutex mutex_;  // the handle and everything below; never held while notifying
  zhandle_t* zh_ = nullptr;
  std::map<std::string, std::string> joined_;  // this instance's members: id -> info
  bool campaigning_ = false;
  std::string candidate_;  // this instance's candidate znode, "" when none
  uint64_t my_epoch_ = 0;  // the epoch this instance took leadership at; 0 when not leading
  uint64_t taken_epoch_ = 0;  // the epoch this candidacy's own takeover set; 0: none yet
  uint64_t last_epoch_ = 0;
  std::string description_;
  bool intake_watched_ = false;  // a child watch on intake/ is set (only while leading)
  // The records under intake/ when its watch was last set, and whether a listing since the
  // worker's last notification held one not listed before: a change that only removed records
  // (the leader settling them) wakes nobody. intake_listings_ counts the listings.
  std::set<std::string> intake_listed_;
  bool intake_news_ = false;
  uint64_t intake_listings_ = 0;
  std::map<std::string, std::string> intake_read_;  // records peek_intake read: name -> bytes
  // What this instance offers if the layout is lost: the newest pointer it published or read,
  // and the bytes of that version and of its base (version -> bytes).
  Latest held_;
  std::map<uint64_t, std::string> held_bytes_;
  std::string offered_;        // the path of this instance's offer, "" when none
  uint64_t unofferable_warned_ = 0;  // the held version whose incomplete bytes were last reported
  uint64_t max_epoch_seen_ = 0;  // the epoch node's highest version this instance read
  bool layout_ready_ = false;  // the layout existed once: a node of it missing later is a loss
  int64_t regeneration_seen_ns_ = 0;  // when this leader first found seeds/ and nothing published
  int64_t regeneration_loss_ = 0;  // which loss that was: the czxid of the `latest` it found
  // When the leader's regeneration window ends: the worker wakes the host then, so the leader
  // publishes without waiting for another change. 0: none.
  std::atomic<int64_t> regeneration_due_ns_{0};
  uint64_t restored_version_ = 0;  // the version this leader last republished from an offer
  // The newest offer found after this leader published on its own: never republished (its
  // grants may overlap), only numbered above (fetch_latest reports it, publish_based refuses below).
  uint64_t version_floor_ = 0;
  std::optional<Latest> collect_after_;  // the newest committed pointer, while its pass is due
  int64_t collect_first_ns_ = 0;         // when the first publication since the last pass committed
  std::atomic<int64_t> collect_due_ns_{0};  // monotonic ns the worker starts the pass at; 0: none

  // The heartbeat thread's view of the handle: set once a session is up, cleared before it is
  // closed. Taken after mutex_ when both are needed, alone by the heartbeat thread.
  std::mutex beat_mutex_;
  std::condition_variable beat_wake_;
  zhandle_t* beat_zh_ = nullptr;
  bool beat_stop_ = false;

  std::thread worker_;  // last: started when everything else is ready
  std::thread heartbeat_;
};

}  // namespace berth::zk

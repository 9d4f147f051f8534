// Every server this node registered, with its claims (server_claims.h), and the node's lease: the
// engine tells the tracker about joins, leaves, installed versions and the backend's lease, and
// the tracker keeps each server's claims in line (docs/ownership.md).
//
// Threads: any; calls serialise on a mutex except lease_deadline(), which holds() reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "ownership/server_claims.h"
#include "snapshot/snapshot.h"

namespace berth::ownership {

class Tracker {
 public:
  // `margin_ns`: subtracted from every lease deadline the backend reports.
  explicit Tracker(uint64_t margin_ns);
  ~Tracker();

  // A server registered (or registered again) through this node under `incarnation`. Registered
  // again under another incarnation, it is as set_incarnation(). Its claims are kept from open()
  // on: until a host asks for them, nobody can serve the server's streams on this node, so
  // nothing is taken up for it (a node that joins a thousand servers only to route pays nothing).
  void add(std::string_view server, uint64_t incarnation);
  // The server's claims, kept in line with every version from now on and with `current` (the
  // version served, or null) at once if this is the first open(); the same object for as long as
  // the server stays registered here. Null when the server is not registered through this node.
  // Call it with the version installs serialised (current must not be older than the last apply()).
  std::shared_ptr<ServerClaims> open(std::string_view server, const Snapshot* current);
  // A new incarnation for a server still registered (after revoke_all): later grants to the old
  // one are never taken up. Claims still held under the old one end now (the leader drops them
  // once it sees the new registration). After lease() ended the claims, a server takes nothing up
  // until it is given an incarnation other than the one it had; an unknown server is ignored.
  void set_incarnation(std::string_view server, uint64_t incarnation);
  // The server left through this node: its claims end now and its feed closes.
  void remove(std::string_view server);
  // The server's claims once open()ed, else null.
  std::shared_ptr<ServerClaims> find(std::string_view server) const;
  // Every registered server with its incarnation (for re-registration after a lease loss).
  std::map<std::string, uint64_t, std::less<>> servers() const;

  // After every install, in version order (the same version again changes nothing). Grants are
  // taken up only while a lease is held and its deadline is ahead, and for servers not waiting
  // for a new incarnation: the engine applies its served version again once lease() reports one,
  // so that grants shown while it had none are taken up without waiting for the next version.
  void apply(const Snapshot& snapshot);

  // The backend's lease as last polled: `valid_until_ns` raw (the margin is subtracted here;
  // UINT64_MAX stays endless); `held` false ends every claim. Returns true when claims ended
  // because of this call (the engine then draws new incarnations and registers its servers
  // again): the lease is lost, its session changed, or the deadline holds() used has passed (by
  // the clock: holds() already answered false) or the new one has. Claims end at that deadline
  // or now, whichever is earlier. A held lease with a deadline ahead is taken at once, after a
  // loss too (servers then wait for their new incarnation). Before the first lease nothing is
  // held, and its session is accepted as it comes.
  bool lease(bool held, uint64_t valid_until_ns, uint64_t session);
  // The deadline holds() compares with (margin applied); 0 while no lease is held.
  const std::atomic<uint64_t>& lease_deadline() const noexcept { return deadline_; }

  // Ends every claim of every server at `ended_ns` (engine closing).
  void close_all(uint64_t ended_ns);

 private:
  const uint64_t margin_ns_;
  std::atomic<uint64_t> deadline_{0};
  mutable std::mutex mutex_;
  struct Registered {
    uint64_t incarnation;
    std::shared_ptr<ServerClaims> claims;
    bool stale = false;   // claims ended by a lease loss: needs a new incarnation
    bool opened = false;  // a host asked for the claims: versions are applied to them
  };
  void lapse(uint64_t ended_ns);  // with mutex_ held
  // Applies `snapshot` to the opened servers (all of them, or only `only`), with mutex_ held.
  void apply_locked(const Snapshot& snapshot, const Registered* only);
  std::map<std::string, Registered, std::less<>> servers_;
  uint64_t session_ = 0;
  bool lapsed_ = true;  // no lease held: none yet, or the last one ended (nothing is taken up)
};

}  // namespace berth::ownership

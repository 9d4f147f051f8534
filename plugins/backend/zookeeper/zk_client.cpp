#include "zk_client.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "berth/plugin.hpp"
#include "zk_test_hook.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

bool is_connection_error(int rc) {
  return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED || rc == ZINVALIDSTATE ||
         rc == ZCLOSING || rc == ZSESSIONMOVED;
}

}  // namespace

int32_t code_of(int rc) {
  if (is_connection_error(rc)) return BERTH_E_UNAVAILABLE;
  if (rc == ZNOAUTH || rc == ZAUTHFAILED) return BERTH_E_PERMISSION;
  return BERTH_E_INTERNAL;
}

[[noreturn]] void fail(int rc, std::string_view what, const std::string& path) {
  if (rc == ZNOAUTH)
    throw Error(BERTH_E_PERMISSION, "zookeeper: " + std::string(what) + " " + path +
                                        ": refused by the znode's ACL (ZNOAUTH): this instance's credential "
                                        "(backend.auth) is missing or is not the one the cluster's nodes were created with");
  throw Error(code_of(rc), "zookeeper: " + std::string(what) + " " + path + ": " + zerror(rc));
}

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string hex_session(int64_t id) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "0x%" PRIx64, static_cast<uint64_t>(id));
  return buffer;
}

void on_event(zhandle_t*, int type, int state, const char* path, void* context) {
  auto* events = static_cast<Events*>(context);
  uint32_t bits = 0;
  std::string_view p = path != nullptr ? path : "";
  if (type == ZOO_SESSION_EVENT) {
    bits = BERTH_CHANGED_CONNECTION;
    if (state == ZOO_EXPIRED_SESSION_STATE) {
      bits |= kExpired;
      events->lease.end();  // at once: the host may poll the lease before the worker runs
    }
  } else if (type == ZOO_NOTWATCHING_EVENT) {
    return;
  } else if (p == events->members) {
    bits = BERTH_CHANGED_MEMBERS;
    if (!disown_off_for_tests()) events->lease.suspend();  // before the answers of heartbeats sent after the change
  } else if (p == events->epoch) {
    bits = BERTH_CHANGED_LEADER;
  } else if (p.size() > events->election.size() && p.substr(0, events->election.size()) == events->election) {
    bits = BERTH_CHANGED_LEADER | kPredecessor;
  } else if (p == events->latest) {
    bits = BERTH_CHANGED_SNAPSHOT;
  } else if (p == events->intake) {
    bits = BERTH_CHANGED_INTAKE;
  } else {
    return;
  }
  {
    std::lock_guard lock(events->mutex);
    events->pending |= bits;
    if (type == ZOO_SESSION_EVENT) events->session_state = state;
  }
  events->wake.notify_all();
}

}  // namespace berth::zk

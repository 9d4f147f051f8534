// The ZooKeeper client library's own log lines, routed to the host's log (berth_host_api.log)
// instead of the library's default, standard error.
#pragma once

#include "berth/plugin.h"

namespace berth::zk {

// While alive, lines of the client go to `host`. The client's log callback carries no context,
// so the instances alive in the process register here and lines go to the latest one alive (they
// all reach the same process log). Must outlive the zookeeper handles made with line().
class ClientLog {
 public:
  explicit ClientLog(const berth_host_api* host);
  ~ClientLog();
  ClientLog(const ClientLog&) = delete;
  ClientLog& operator=(const ClientLog&) = delete;

  // The callback for zookeeper_init2: one line of the client, e.g.
  // "2026-12-07 10:00:00,123:4242(0x7f..):ZOO_ERROR@handle_socket_error_msg@1290: Socket ...".
  static void line(const char* message);

 private:
  const berth_host_api* host_;
};

}  // namespace berth::zk

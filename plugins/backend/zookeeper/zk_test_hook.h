// A test-only hook of the zookeeper backend, called whenever a new session is established. The
// build tree's plugin (BERTH_TEST_HOOKS) links zk_test_hook.cpp; what is installed or packed links
// zk_no_test_hook.cpp, whose body is empty.
#pragma once

#include <zookeeper/zookeeper.h>

#include <string>

#include "berth/plugin.h"

namespace berth::zk {

void write_session_for_tests(zhandle_t* zh, const berth_host_api* host);

// True only in the build tree's plugin with BERTH_ZK_TEST_NO_DISOWN set: the broken variant where
// a member deleted from outside neither suspends nor disowns the lease.
bool disown_off_for_tests();

// The same, for member `id` just registered again after its deletion; when true, also says (a
// warning) that its claims were not ended. The message names the variable, so it lives here.
bool keep_claims_for_tests(const berth_host_api* host, const std::string& id);

}  // namespace berth::zk

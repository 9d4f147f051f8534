// What is installed and packed carries no test hook: a new session is left alone.
#include "zk_test_hook.h"

namespace berth::zk {

void write_session_for_tests(zhandle_t*, const berth_host_api*) {}

bool disown_off_for_tests() { return false; }

bool keep_claims_for_tests(const berth_host_api*, const std::string&) { return false; }

}  // namespace berth::zk

// What is installed and packed carries no test hook: a new session is left alone.
#include "zk_test_hook.h"

namespace berth::zk {

void write_session_for_tests(zhandle_t*, const berth_host_api*) {}

}  // namespace berth::zk

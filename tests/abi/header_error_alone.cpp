// berth/error.hpp compiles on its own as strict C++17, and its Error carries a code and a message.
#include "berth/error.hpp"

#include <cstdio>
#include <cstring>

int main() {
  try {
    throw berth::plugin::Error(5, "policy.spread: unknown key");
  } catch (const std::runtime_error& e) {
    const auto* error = dynamic_cast<const berth::plugin::Error*>(&e);
    if (error == nullptr || error->code() != 5 || std::strcmp(e.what(), "policy.spread: unknown key") != 0) {
      std::fprintf(stderr, "FAIL berth::plugin::Error: code %d, message '%s'\n", error ? error->code() : -1, e.what());
      return 1;
    }
  }
  std::printf("berth/error.hpp: compiles alone, Error keeps its code and message\n");
  return 0;
}

#include "zookeeper/test_bytes.h"

#include <random>

namespace berth::test {

std::string incompressible_bytes(size_t size, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

}  // namespace berth::test

// An IPv4 socket address from dotted text and a port, for the test harness's sockets.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace berth::test {

// Throws std::runtime_error naming `host` when it is not an IPv4 address in dotted form.
inline sockaddr_in inet_address(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
    throw std::runtime_error("not an IPv4 address: \"" + host + "\"");
  return addr;
}

}  // namespace berth::test

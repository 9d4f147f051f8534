// The process text and the endpoint while engines come and go: one thread reads
// berth_metrics_text_all and GET /healthz in a loop, another opens and closes engines. Run under
// ASan and TSan (label unit): a registry entry read after its engine closed shows up there.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "berth/berth.h"
#include "berth/metrics_http.h"

namespace {

// A plain HTTP/1.0 GET on loopback: the whole answer, or "" when the connection failed.
std::string http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

berth_engine* open_engine(const std::string& cluster, const std::string& node) {
  berth_options* o = nullptr;
  EXPECT_EQ(berth_options_new(&o, nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_set(o, "backend.cluster", cluster.c_str(), nullptr), BERTH_OK);
  EXPECT_EQ(berth_options_set(o, "engine.node_id", node.c_str(), nullptr), BERTH_OK);
  berth_engine* e = nullptr;
  berth_error* err = nullptr;
  EXPECT_EQ(berth_engine_open(o, &e, &err), BERTH_OK) << (err ? berth_error_message(err) : "");
  berth_error_free(err);
  berth_options_free(o);
  return e;
}

TEST(MetricsConcurrency, TextAndHealthStayWholeWhileEnginesOpenAndClose) {
  berth_metrics_server* server = nullptr;
  ASSERT_EQ(berth_metrics_server_start(nullptr, 0, &server, nullptr), BERTH_OK);
  const uint16_t port = berth_metrics_server_port(server);

  std::atomic<bool> done{false};
  int opened = 0;
  std::thread churn([&] {
    for (int i = 0; i < 200; ++i) {
      const std::string name = "churn-" + std::to_string(getpid()) + "-" + std::to_string(i);
      berth_engine* e = open_engine(name, name);
      if (e != nullptr) ++opened;
      berth_engine_close(e);
    }
    done.store(true);
  });

  int texts = 0, healths = 0, bad = 0;
  std::string last_bad;
  while (!done.load() || texts == 0) {
    char* text = nullptr;
    if (berth_metrics_text_all(&text, nullptr) == BERTH_OK && text != nullptr &&
        std::string(text).find("berth_build_info") != std::string::npos) {
      ++texts;
    } else {
      ++bad;
    }
    berth_string_free(text);
    const std::string health = http_get(port, "/healthz");
    const bool whole = (health.rfind("HTTP/1.0 200", 0) == 0 || health.rfind("HTTP/1.1 200", 0) == 0 ||
                        health.find(" 503 ") != std::string::npos) &&
                       health.find("\"status\":") != std::string::npos;
    if (whole) {
      ++healths;
    } else {
      ++bad;
      last_bad = health;
    }
  }
  churn.join();
  berth_metrics_server_stop(server);

  std::printf("engines opened and closed: %d, texts: %d, health answers: %d\n", opened, texts, healths);
  EXPECT_EQ(opened, 200);
  EXPECT_GT(texts, 0);
  EXPECT_GT(healths, 0);
  EXPECT_EQ(bad, 0) << last_bad;
}

}  // namespace

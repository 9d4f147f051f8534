// Contract under concurrency: several threads, each driving its own instance of one cluster
// (the host serialises calls on one instance, never across instances).
#include <mutex>
#include <set>
#include <thread>

#include "backend/backend_contract.h"

namespace berth::test {
namespace {

// Collects what went wrong on worker threads; an exception must never escape a std::thread.
class Problems {
 public:
  void add(std::string what) {
    std::lock_guard lock(mutex_);
    if (list_.size() < 20) list_.push_back(std::move(what));
  }
  template <class Body>
  auto guard(Body body) {
    return [this, body]() mutable {
      try {
        body();
      } catch (const std::exception& e) {
        add(std::string("worker threw: ") + e.what());
      }
    };
  }
  std::string report() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const std::string& line : list_) out += line + "\n";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

std::string payload(uint64_t version) {
  return "version " + std::to_string(version) + ":" + std::string(version % 7 * 1000, static_cast<char>('a' + version % 26));
}

TEST_P(BackendContract, StressPublishFetchJoinAndSubmitConcurrently) {
  const int rounds = GetParam().stress_rounds;
  constexpr int kReaders = 2;
  constexpr int kJoiners = 2;
  Problems problems;
  auto leader = open();
  const uint64_t epoch = lead(*leader);
  auto submitter = open();
  std::vector<std::unique_ptr<Backend>> readers, joiners;
  for (int i = 0; i < kReaders; ++i) readers.push_back(open());
  for (int i = 0; i < kJoiners; ++i) joiners.push_back(open());
  const auto deadline = std::chrono::steady_clock::now() + settle() + std::chrono::seconds(30);

  std::vector<std::string> drained;  // by the publishing thread only, until it is joined
  std::vector<std::thread> threads;
  threads.emplace_back(problems.guard([&] {
    for (int v = 1; v <= rounds; ++v) {
      leader->publish(epoch, static_cast<uint64_t>(v), payload(static_cast<uint64_t>(v)));
      for (std::string& record : leader->drain()) drained.push_back(std::move(record));
    }
  }));
  for (auto& reader : readers) {
    threads.emplace_back(problems.guard([&, r = reader.get()] {
      uint64_t known = 0;
      while (known < static_cast<uint64_t>(rounds) && std::chrono::steady_clock::now() < deadline) {
        auto [version, bytes] = r->fetch(known);
        if (version < known) problems.add("fetch went back from " + std::to_string(known) + " to " + std::to_string(version));
        if (version > known) {
          if (bytes != payload(version)) problems.add("fetch of version " + std::to_string(version) + " got other bytes");
          known = version;
        }
      }
      if (known != static_cast<uint64_t>(rounds)) problems.add("a reader stopped at version " + std::to_string(known));
    }));
  }
  for (int j = 0; j < kJoiners; ++j) {
    threads.emplace_back(problems.guard([&, j, b = joiners[static_cast<size_t>(j)].get()] {
      const std::string prefix = "joiner-" + std::to_string(j) + "-";
      for (int i = 0; i < rounds; ++i) {
        b->join(prefix + std::to_string(i % 5), "round " + std::to_string(i));
        if (i % 3 == 0) b->leave(prefix + std::to_string((i + 2) % 5));
        auto members = b->members();
        std::set<std::string> ids;
        for (const auto& member : members)
          if (!ids.insert(member.first).second) problems.add("member " + member.first + " listed twice");
      }
      for (int k = 0; k < 5; ++k) b->leave(prefix + std::to_string(k));
      b->join(prefix + "final", "done");
    }));
  }
  threads.emplace_back(problems.guard([&] {
    for (int i = 0; i < rounds; ++i) submitter->submit("record " + std::to_string(i));
  }));
  for (std::thread& t : threads) t.join();
  ASSERT_EQ(problems.report(), "");

  std::vector<std::string> expected;
  for (int i = 0; i < rounds; ++i) expected.push_back("record " + std::to_string(i));
  for (std::string& record : drain_until(*leader, expected.size() - std::min(expected.size(), drained.size())))
    drained.push_back(std::move(record));
  EXPECT_EQ(drained, expected) << "every record drained once, in submission order";
  EXPECT_TRUE(eventually([&] {
    return member_ids(*leader) == std::vector<std::string>{"joiner-0-final", "joiner-1-final"};
  }));
}

TEST_P(BackendContract, StressNoNotificationAfterDestroyWhileOthersChangeThings) {
  const int rounds = GetParam().stress_rounds;
  Problems problems;
  auto member_churner = open();
  auto election_churner = open();
  std::atomic<bool> stop{false};
  std::atomic<int> churned{0};  // rounds of both churners, so the loop below overlaps them for real
  std::vector<std::thread> threads;
  threads.emplace_back(problems.guard([&] {
    for (int i = 0; !stop.load(); ++i, churned.fetch_add(1)) {
      member_churner->join("churn", std::to_string(i));
      member_churner->submit("r");
      member_churner->leave("churn");
    }
  }));
  threads.emplace_back(problems.guard([&] {
    uint64_t version = 0;
    for (; !stop.load(); churned.fetch_add(1)) {
      election_churner->campaign();
      berth_leadership now = election_churner->leadership();
      // A short-lived instance may lead right now: then this publish is fenced, which is fine.
      if (now.is_leader == 1 && failure_of([&] { election_churner->publish(now.epoch, version + 1, "v"); }).code == BERTH_OK)
        ++version;
      election_churner->resign();
    }
  }));

  std::vector<std::unique_ptr<WatchCounter>> counters;
  const auto deadline = std::chrono::steady_clock::now() + settle() + std::chrono::seconds(30);
  // The churners are joined whatever happens below (a failure must not abort the whole binary).
  std::string failure;
  try {
    for (int i = 0; i < rounds || (churned.load() < rounds && std::chrono::steady_clock::now() < deadline); ++i) {
      counters.push_back(std::make_unique<WatchCounter>());
      auto short_lived = open(counters.back().get());
      short_lived->join("short-lived-" + std::to_string(i), "x");
      if (i % 2 == 0) short_lived->campaign();
      short_lived.reset();
      counters.back()->mark_closed();
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failure, "") << "a short-lived instance failed";
  EXPECT_EQ(problems.report(), "");

  int after_close = 0, delivered = 0;
  for (const auto& counter : counters) {
    after_close += counter->calls_after_close();
    delivered += counter->count(BERTH_CHANGED_MEMBERS);
  }
  EXPECT_EQ(after_close, 0) << "notifications delivered after destroy() returned";
  EXPECT_GT(delivered, 0) << "the short-lived instances were notified while alive";
}

}  // namespace
}  // namespace berth::test

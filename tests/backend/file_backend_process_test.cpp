// The `file` backend across real processes: instances in other processes (file_backend_helper)
// share members, leadership and publications with this one, and a process killed with SIGKILL
// (at chosen points of a publication, and at random moments) never leaves a torn or missing
// latest version, and loses leadership to a survivor with a higher epoch.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "backend/file_backend_fixture.h"
#include "backend/file_backend_support.h"
#include "config/options.h"
#include "engine/engine.h"
#include "engine/intake.h"

namespace berth::test {
namespace {

using Members = std::vector<std::pair<std::string, std::string>>;

uint64_t number_after(const std::string& line, const std::string& prefix) {
  if (line.compare(0, prefix.size(), prefix) != 0) return 0;
  return std::strtoull(line.c_str() + prefix.size(), nullptr, 10);
}

bool has_member(Backend& backend, const std::string& id) {
  for (const auto& member : backend.members())
    if (member.first == id) return true;
  return false;
}

class FileBackendProcessTest : public FileBackendTest {};

TEST_F(FileBackendProcessTest, TwoProcessesShareMembersLeadershipAndPublications) {
  WatchCounter on_local;
  auto local = open(&on_local);
  local->join("local-1", "here");

  HelperProcess other({"publish", dir_, "1", "3", "100000"});
  ASSERT_EQ(other.read_line().substr(0, 8), "leading ");
  ASSERT_EQ(other.read_line(), "published 1");
  ASSERT_EQ(other.read_line(), "published 2");
  ASSERT_EQ(other.read_line(), "published 3");
  ASSERT_EQ(other.read_line(), "done");

  std::string publisher = "publisher-" + std::to_string(other.pid());
  EXPECT_TRUE(eventually([&] { return has_member(*local, publisher) && has_member(*local, "local-1"); }));
  EXPECT_TRUE(on_local.wait_for(BERTH_CHANGED_MEMBERS, 1, std::chrono::seconds(10)));
  EXPECT_TRUE(on_local.wait_for(BERTH_CHANGED_LEADER, 1, std::chrono::seconds(10)));
  EXPECT_TRUE(on_local.wait_for(BERTH_CHANGED_SNAPSHOT, 1, std::chrono::seconds(10)));
  auto [version, bytes] = local->fetch(0);
  EXPECT_EQ(version, 3u);
  EXPECT_TRUE(bytes == file_payload(3, 100000));
  EXPECT_GT(local->leadership().epoch, 0u);
  EXPECT_EQ(local->leadership().is_leader, 0);
  local->campaign();
  EXPECT_EQ(failure_of([&] { local->publish(local->leadership().epoch, 4, "x"); }).code, BERTH_E_FENCED)
      << "the other process leads";

  // A graceful end: its member goes, and this instance leads next with a higher epoch.
  uint64_t their_epoch = local->leadership().epoch;
  other.close_stdin();
  EXPECT_TRUE(WIFEXITED(other.wait()));
  EXPECT_TRUE(eventually([&] { return !has_member(*local, publisher); }));
  EXPECT_TRUE(eventually([&] { return local->leadership().is_leader == 1; }));
  EXPECT_GT(local->leadership().epoch, their_epoch);
  local->publish(local->leadership().epoch, 4, "four");
}

TEST_F(FileBackendProcessTest, AnotherProcessSeesThisProcesssMembersAndLeadership) {
  auto local = open();
  local->join("local-1", "here");
  local->campaign();
  uint64_t epoch = local->leadership().epoch;
  HelperProcess other({"hold", dir_, "local-1", "1"});  // joining an id this process holds fails
  std::string line = other.read_line();
  EXPECT_NE(line.find("error"), std::string::npos) << line;
  EXPECT_NE(line.find("local-1"), std::string::npos) << line;
  EXPECT_NE(line.find("already registered"), std::string::npos) << line;
  EXPECT_EQ(WEXITSTATUS(other.wait()), 2);

  HelperProcess follower({"hold", dir_, "remote-1", "1"});
  EXPECT_EQ(follower.read_line(), "ready " + std::to_string(epoch) + " 0") << "it sees our epoch and does not lead";
  EXPECT_TRUE(eventually([&] { return has_member(*local, "remote-1"); }));
}

TEST_F(FileBackendProcessTest, ALeaderKilledWithSigkillIsReplacedWithAHigherEpoch) {
  WatchCounter on_local;
  auto local = open(&on_local);
  HelperProcess leader({"hold", dir_, "doomed", "1"});
  std::string ready = leader.read_line();
  ASSERT_EQ(ready.substr(0, 6), "ready ") << ready;
  ASSERT_EQ(ready.back(), '1') << "the first candidate leads: " << ready;
  uint64_t their_epoch = number_after(ready, "ready ");
  ASSERT_GT(their_epoch, 0u);
  local->campaign();
  ASSERT_TRUE(eventually([&] { return has_member(*local, "doomed"); }));
  EXPECT_EQ(local->leadership().is_leader, 0);
  int leader_changes = on_local.count(BERTH_CHANGED_LEADER);
  int member_changes = on_local.count(BERTH_CHANGED_MEMBERS);

  leader.kill_hard();
  int status = leader.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // No file-system event marks its death: the survivor's watcher notices the released lock.
  EXPECT_TRUE(on_local.wait_for(BERTH_CHANGED_LEADER, leader_changes + 1, std::chrono::seconds(10)));
  EXPECT_TRUE(on_local.wait_for(BERTH_CHANGED_MEMBERS, member_changes + 1, std::chrono::seconds(10)));
  EXPECT_EQ(local->leadership().is_leader, 1);
  EXPECT_GT(local->leadership().epoch, their_epoch);
  EXPECT_FALSE(has_member(*local, "doomed"));
  local->publish(local->leadership().epoch, 1, "after the crash");
  // What the dead process left behind is cleaned up by the survivors.
  EXPECT_TRUE(eventually([&] { return names_in(dir_ + "/sessions").size() == 1; }));
  EXPECT_TRUE(eventually([&] { return names_in(dir_ + "/members").empty(); }));
}

// Each crash window of a publication, hit for certain: the helper SIGKILLs itself there.
TEST_F(FileBackendProcessTest, SigkillInEveryWindowOfAPublishLeavesTheLastVersionReadable) {
  const size_t size = 300000;
  {
    HelperProcess first({"publish", dir_, "1", "1", std::to_string(size)});
    ASSERT_EQ(first.read_line().substr(0, 8), "leading ");
    ASSERT_EQ(first.read_line(), "published 1");
  }
  auto reader = open();
  uint64_t version = 1;
  for (const char* point : {"snapshot-temp", "snapshot-renamed", "latest-temp"}) {
    SCOPED_TRACE(point);
    HelperProcess crashing({"publish", dir_, std::to_string(version + 1), "1", std::to_string(size)},
                           {std::string("BERTH_FILE_BACKEND_TEST_KILL_AT=") + point});
    ASSERT_EQ(crashing.read_line().substr(0, 8), "leading ");
    int status = crashing.wait();
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "it died inside the publication";
    EXPECT_TRUE(crashing.read_rest().empty()) << "it never reported the version as published";
    auto [latest, bytes] = reader->fetch(0);
    EXPECT_EQ(latest, version) << "the previous version is still the latest";
    EXPECT_TRUE(bytes == file_payload(version, size)) << "and complete";

    // The next leader publishes that same version number without trouble.
    HelperProcess next({"publish", dir_, std::to_string(version + 1), "1", std::to_string(size)});
    ASSERT_EQ(next.read_line().substr(0, 8), "leading ");
    ASSERT_EQ(next.read_line(), "published " + std::to_string(version + 1));
    ++version;
    auto [now, now_bytes] = reader->fetch(0);
    EXPECT_EQ(now, version);
    EXPECT_TRUE(now_bytes == file_payload(version, size));
  }
  EXPECT_TRUE(eventually([&] { return names_in(dir_ + "/tmp").empty(); })) << "crashed publications' files are reaped";
  for (const std::string& name : names_in(dir_ + "/snapshots"))
    EXPECT_LE(name, "00000000000000000004.snap") << "no version above the latest is left";
}

// SIGKILL at random moments of a stream of publications, while this process keeps reading:
// every version read is complete, versions never go back, and each kill leaves the latest version
// at least as new as the last one the victim reported published.
TEST_F(FileBackendProcessTest, RandomSigkillsDuringPublicationNeverTearTheLatestVersion) {
  const size_t size = 1 << 20;
  auto reader = open();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, backwards{0}, reads{0};
  std::thread watcher([&] {
    auto own = open();
    uint64_t known = 0;
    while (!stop.load()) {
      auto [version, bytes] = own->fetch(known);
      if (version < known) backwards.fetch_add(1);
      if (version > known) {
        if (payload_version(bytes) != version || bytes != file_payload(version, size)) torn.fetch_add(1);
        known = version;
        reads.fetch_add(1);
      }
    }
  });

  std::mt19937 random(20240607);
  uint64_t next = 1;
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    HelperProcess victim({"publish", dir_, std::to_string(next), "0", std::to_string(size)});
    ASSERT_EQ(victim.read_line().substr(0, 8), "leading ");
    // Once it is publishing (slow builds, e.g. under a sanitizer, take a while to start), die
    // at a random moment of the stream.
    ASSERT_EQ(victim.read_line(), "published " + std::to_string(next));
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 150000));
    victim.kill_hard();
    victim.wait();
    uint64_t reported = next;
    for (const std::string& line : victim.read_rest())
      if (uint64_t v = number_after(line, "published "); v != 0) reported = v;
    auto [latest, bytes] = reader->fetch(0);
    EXPECT_GE(latest, reported) << "a version reported published is never lost";
    EXPECT_LE(latest, reported + 1) << "at most the one being published when it died";
    if (latest != 0) {
      EXPECT_TRUE(bytes == file_payload(latest, size)) << "version " << latest << " is complete";
    }
    next = latest + 1;
  }
  stop.store(true);
  watcher.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(backwards.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_GT(next, 12u) << "every round published something";
}

// The engine over keyed intake (ABI 1.3): a leader SIGKILLed while publishing the refresh that
// took the pending records leaves them pending, and the next leader publishes them, tenants
// included. (With drain(), the records died with the process.)
TEST_F(FileBackendProcessTest, ALeaderKilledMidRefreshLeavesItsIntakeToTheNextLeader) {
  std::string batch;
  append_intake(batch, IntakeOp::add, "gold-1", "gold", 2.0);
  append_intake(batch, IntakeOp::add, "silver-1", "silver", 1.0);
  open()->submit(batch);  // as any host's engine would, before anyone leads

  HelperProcess crashing({"engine", dir_, "doomed-server"}, {"BERTH_FILE_BACKEND_TEST_KILL_AT=snapshot-temp"});
  int status = crashing.wait();
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "it died inside its first publication";
  for (const std::string& line : crashing.read_rest()) EXPECT_EQ(line.find("published"), std::string::npos) << line;
  EXPECT_EQ(names_in(dir_ + "/intake").size(), 1u) << "the record it had read is still pending";

  Options options;
  options.set("backend.name", "file");
  options.set("backend.dir", dir_);
  options.set("backend.poll", "20ms");
  options.set("policy.name", "least_load");
  options.set("engine.node_id", "survivor");
  Engine survivor(options.resolve());
  survivor.join("survivor-server", 1.0);
  ASSERT_TRUE(eventually([&] {
    auto snap = survivor.snapshot();
    return survivor.status().is_leader && snap != nullptr && snap->stream_count() == 2;
  })) << "the next leader published the records the dead one had taken";
  auto snap = survivor.snapshot();
  std::map<std::string, std::string> tenants;
  for (uint64_t i = 0; i < snap->stream_count(); ++i)
    tenants[std::string(snap->streams->ids.at(i))] = snap->streams->tenants.at(snap->streams->tenant[i]);
  EXPECT_EQ(tenants, (std::map<std::string, std::string>{{"gold-1", "gold"}, {"silver-1", "silver"}}));
  EXPECT_TRUE(eventually([&] { return names_in(dir_ + "/intake").empty(); })) << "settled once published";
}

}  // namespace
}  // namespace berth::test

// The backend contract for `file` (a fresh state directory per test), plus what only a durable,
// directory-based backend promises: state outlives every instance, old versions are pruned, and
// bad directories or damaged files give clear errors instead of crashes.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backend/file_backend_fixture.h"

namespace berth::test {
namespace {

BackendUnderTest file_backend() {
  BackendUnderTest backend;
  backend.plugin = "file";
  backend.fresh_cluster = [] {
    return std::vector<PluginConfig::Entry>{{"dir", fresh_state_directory(), "file_backend_test"},
                                            {"poll", "20ms", "file_backend_test"}};
  };
  backend.settle = std::chrono::seconds(10);
  backend.stress_rounds = 300;
  backend.delete_candidates = [](const std::vector<PluginConfig::Entry>& cluster) {
    std::string dir;
    for (const PluginConfig::Entry& e : cluster)
      if (e.key == "dir") dir = e.value;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/candidates")) std::filesystem::remove(entry.path());
  };
  // A session lives as long as its lock file: removing it ends the session for everyone.
  backend.severable = [](const std::vector<PluginConfig::Entry>& cluster) {
    BackendUnderTest::Severable out;
    out.entries = cluster;
    std::string dir;
    for (const PluginConfig::Entry& e : cluster)
      if (e.key == "dir") dir = e.value;
    out.sever = [dir](Backend& victim) {
      const uint64_t session = victim.lease().session;
      for (const auto& entry : std::filesystem::directory_iterator(dir + "/sessions")) {
        // The lease's session number is FNV-1a of the session's name (the lock file's stem).
        uint64_t number = 1469598103934665603ull;
        for (unsigned char c : entry.path().stem().string()) number = (number ^ c) * 1099511628211ull;
        if (number == session) {
          std::filesystem::remove(entry.path());
          return;
        }
      }
      FAIL() << "no lock file in " << dir << "/sessions for session " << session;
    };
    return out;
  };
  return backend;
}

INSTANTIATE_TEST_SUITE_P(File, BackendContract, ::testing::Values(file_backend()), backend_test_name);
INSTANTIATE_TEST_SUITE_P(File, BackendContractDeletedCandidacy, ::testing::Values(file_backend()), backend_test_name);

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Failure open_failure(const std::shared_ptr<const LoadedPlugin>& plugin, std::vector<PluginConfig::Entry> entries) {
  return failure_of([&] { Backend backend(plugin, PluginConfig("backend", std::move(entries)), nullptr); });
}

TEST_F(FileBackendTest, DescribesItself) {
  EXPECT_EQ(plugin_->name, "file");
  EXPECT_EQ(plugin_->kind, BERTH_PLUGIN_BACKEND);
  EXPECT_FALSE(plugin_->version.empty());
}

TEST_F(FileBackendTest, WithoutADirTheErrorNamesTheKey) {
  Failure failure = open_failure(plugin_, {});
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_NE(failure.message.find("dir"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("missing"), std::string::npos) << failure.message;
}

TEST_F(FileBackendTest, AMissingDirectoryIsAClearError) {
  const std::string missing = dir_ + "/does-not-exist";
  Failure failure = open_failure(plugin_, {{"dir", missing, "berth.toml:3"}});
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_NE(failure.message.find(missing), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("No such file"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("berth.toml:3"), std::string::npos) << failure.message;
  EXPECT_FALSE(std::filesystem::exists(missing)) << "nothing is created on the way";
}

TEST_F(FileBackendTest, AFileInsteadOfADirectoryIsAClearError) {
  const std::string file = dir_ + "/plain-file";
  write_text(file, "x");
  Failure failure = open_failure(plugin_, {{"dir", file, "test"}});
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_NE(failure.message.find("not a directory"), std::string::npos) << failure.message;
}

// Run as another user when we are root (root may write anywhere), so the check is real.
TEST_F(FileBackendTest, AnUnwritableDirectoryIsAClearError) {
  const std::string locked = dir_ + "/read-only";
  ASSERT_EQ(::mkdir(locked.c_str(), 0555), 0);
  ASSERT_EQ(::chmod(locked.c_str(), 0555), 0);
  if (::geteuid() != 0) {
    Failure failure = open_failure(plugin_, {{"dir", locked, "test"}});
    EXPECT_EQ(failure.code, BERTH_E_CONFIG);
    EXPECT_NE(failure.message.find(locked), std::string::npos) << failure.message;
    EXPECT_NE(failure.message.find("not writable"), std::string::npos) << failure.message;
    return;
  }
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // only async-signal-safe calls until exec
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    const char* argv[] = {BERTH_FILE_HELPER, "hold", locked.c_str(), "m", "0", nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(4);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char chunk[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], chunk, sizeof chunk)) > 0;) output.append(chunk, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_NE(output.find(locked), std::string::npos) << output;
  EXPECT_NE(output.find("not writable"), std::string::npos) << output;
}

TEST_F(FileBackendTest, BadKeepAndPollValuesAreConfigErrorsNamingTheKey) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"keep", "0"}, {"keep", "2.5"}, {"keep", "many"}, {"poll", "100"}, {"poll", "0ms"}, {"poll", "fast"},
           {"poll", "2m"}}) {
    Failure failure = open_failure(plugin_, {{"dir", dir_, "test"}, {key, value, "berth.toml:9"}});
    EXPECT_EQ(failure.code, BERTH_E_CONFIG) << key << "=" << value;
    EXPECT_NE(failure.message.find(key), std::string::npos) << failure.message;
  }
  EXPECT_EQ(open_failure(plugin_, {{"dir", dir_, "test"}, {"keep", "1", "t"}, {"poll", "1.5s", "t"}}).code, BERTH_OK);
}

TEST_F(FileBackendTest, KeepBoundsTheVersionsOnDisk) {
  auto leader = open(nullptr, {{"keep", "3", "test"}});
  leader->campaign();
  uint64_t epoch = leader->leadership().epoch;
  for (uint64_t v = 1; v <= 10; ++v) leader->publish(epoch, v * 2, "version " + std::to_string(v * 2));
  std::vector<std::string> expected = {"00000000000000000016.snap", "00000000000000000018.snap",
                                       "00000000000000000020.snap"};
  EXPECT_EQ(names_in(dir_ + "/snapshots"), expected);
  EXPECT_EQ(leader->fetch(0), (std::pair<uint64_t, std::string>{20, "version 20"}));
}

TEST_F(FileBackendTest, KeepsFiveVersionsByDefault) {
  auto leader = open();
  leader->campaign();
  uint64_t epoch = leader->leadership().epoch;
  for (uint64_t v = 1; v <= 8; ++v) leader->publish(epoch, v, "x");
  EXPECT_EQ(names_in(dir_ + "/snapshots").size(), 5u);
}

TEST_F(FileBackendTest, PublicationsSubmissionsAndEpochsOutliveEveryInstance) {
  uint64_t old_epoch = 0;
  {
    auto a = open();
    auto b = open();
    a->join("a-1", "x");
    a->campaign();
    old_epoch = a->leadership().epoch;
    a->publish(old_epoch, 4, std::string("four\0bytes", 10));
    b->submit("first");
    b->submit("second");
  }
  auto fresh = open();
  EXPECT_EQ(fresh->fetch(0), (std::pair<uint64_t, std::string>{4, std::string("four\0bytes", 10)}));
  EXPECT_TRUE(fresh->members().empty()) << "members live only as long as their instance";
  EXPECT_EQ(fresh->leadership().epoch, 0u) << "nobody leads";
  fresh->campaign();
  EXPECT_GT(fresh->leadership().epoch, old_epoch) << "epochs never go back, even across restarts";
  EXPECT_EQ(fresh->drain(), (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(failure_of([&] { fresh->publish(fresh->leadership().epoch, 4, "again"); }).code, BERTH_E_STATE);
}

TEST_F(FileBackendTest, AnInstanceLeavesNoFilesBehind) {
  {
    auto a = open();
    a->join("a-1", "x");
    a->campaign();
    a->publish(a->leadership().epoch, 1, "one");
    a->submit("r");
    a->drain();
    EXPECT_EQ(names_in(dir_ + "/sessions").size(), 1u);
  }
  EXPECT_TRUE(names_in(dir_ + "/sessions").empty());
  EXPECT_TRUE(names_in(dir_ + "/members").empty());
  EXPECT_TRUE(names_in(dir_ + "/candidates").empty());
  EXPECT_TRUE(names_in(dir_ + "/tmp").empty());
  EXPECT_TRUE(names_in(dir_ + "/intake").empty());
  EXPECT_EQ(names_in(dir_ + "/snapshots").size(), 1u) << "publications stay";
}

TEST_F(FileBackendTest, ACorruptLatestPointerIsAClearErrorNotACrash) {
  auto leader = open();
  leader->campaign();
  uint64_t epoch = leader->leadership().epoch;
  leader->publish(epoch, 1, "one");
  write_text(dir_ + "/latest", "\x7f garbage that is not a pointer");
  auto reader = open();  // opening still works: only reading the pointer fails
  for (Backend* backend : {leader.get(), reader.get()}) {
    Failure failure = failure_of([&] { backend->fetch(0); });
    EXPECT_EQ(failure.code, BERTH_E_CORRUPT);
    EXPECT_NE(failure.message.find(dir_ + "/latest"), std::string::npos) << failure.message;
  }
  EXPECT_EQ(failure_of([&] { leader->publish(epoch, 2, "two"); }).code, BERTH_E_CORRUPT);
  reader->join("still-works", "x");
  EXPECT_EQ(reader->members().size(), 1u);

  write_text(dir_ + "/latest", "berth-file-latest 1\nversion 77\n");
  Failure missing = failure_of([&] { reader->fetch(0); });
  EXPECT_EQ(missing.code, BERTH_E_CORRUPT);
  EXPECT_NE(missing.message.find("00000000000000000077.snap"), std::string::npos) << missing.message;
  EXPECT_EQ(reader->fetch(77).first, 77u) << "a caller that knows the version reads nothing";
}

TEST_F(FileBackendTest, ADamagedSnapshotFileIsDetected) {
  auto leader = open();
  leader->campaign();
  leader->publish(leader->leadership().epoch, 1, std::string(1000, 'a'));
  const std::string snap = dir_ + "/snapshots/00000000000000000001.snap";
  std::string content = read_text(snap);
  content[500] = 'b';
  write_text(snap, content);
  Failure flipped = failure_of([&] { leader->fetch(0); });
  EXPECT_EQ(flipped.code, BERTH_E_CORRUPT);
  EXPECT_NE(flipped.message.find(snap), std::string::npos) << flipped.message;
  EXPECT_NE(flipped.message.find("checksum"), std::string::npos) << flipped.message;
  write_text(snap, content.substr(0, 600));
  EXPECT_EQ(failure_of([&] { leader->fetch(0); }).code, BERTH_E_CORRUPT);
  write_text(snap, "short");
  EXPECT_EQ(failure_of([&] { leader->fetch(0); }).code, BERTH_E_CORRUPT);
}

TEST_F(FileBackendTest, ACorruptMemberFileIsAClearError) {
  auto a = open();
  a->join("a-1", "x");
  write_text(dir_ + "/members/m-a-1", "not a member record");
  Failure failure = failure_of([&] { a->members(); });
  EXPECT_EQ(failure.code, BERTH_E_CORRUPT);
  EXPECT_NE(failure.message.find(dir_ + "/members/m-a-1"), std::string::npos) << failure.message;
}

TEST_F(FileBackendTest, FencedMessageSaysWhoLeads) {
  auto leader = open();
  auto other = open();
  leader->join("leader-host:1", "x");
  leader->campaign();
  uint64_t epoch = leader->leadership().epoch;
  Failure failure = failure_of([&] { other->publish(epoch, 1, "x"); });
  EXPECT_EQ(failure.code, BERTH_E_FENCED);
  EXPECT_NE(failure.message.find("leader-host:1"), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("epoch " + std::to_string(epoch)), std::string::npos) << failure.message;
  EXPECT_NE(failure.message.find("pid " + std::to_string(::getpid())), std::string::npos) << failure.message;
}

TEST_F(FileBackendTest, MemberIdsNeedNotBeFileNames) {
  auto a = open();
  auto b = open();
  const std::vector<std::string> ids = {"a/b", "..", ".", "with space", "host:9000", std::string("\x01\xff\0z", 4),
                                        std::string(1000, 'L'), std::string(999, 'L') + "M", "%41", "A"};
  for (const std::string& id : ids) a->join(id, "info of " + id);
  std::vector<std::pair<std::string, std::string>> expected;
  for (const std::string& id : ids) expected.emplace_back(id, "info of " + id);
  std::sort(expected.begin(), expected.end());
  auto seen = b->members();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, expected);
  for (const std::string& id : ids) a->leave(id);
  EXPECT_TRUE(b->members().empty());
}

TEST_F(FileBackendTest, ADirectoryThatGoesAwayIsReportedAsDisconnected) {
  WatchCounter on_a;
  auto a = open(&on_a);
  a->campaign();
  ASSERT_EQ(a->leadership().is_leader, 1);
  const Backend::Lease held = a->lease();
  EXPECT_TRUE(held.held);
  EXPECT_EQ(held.valid_until_ns, UINT64_MAX) << "only the process dying or the session file going ends it";
  const std::string away = dir_ + ".away";
  ASSERT_EQ(::rename(dir_.c_str(), away.c_str()), 0);
  EXPECT_FALSE(a->lease().held) << "its session lock is out of reach: what it registered may be taken";
  berth_leadership gone = a->leadership();
  EXPECT_EQ(gone.connected, 0);
  EXPECT_EQ(gone.is_leader, 0) << "nobody can be fenced-checked without the directory";
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_CONNECTION, 1, std::chrono::seconds(10)));
  Failure publish = failure_of([&] { a->publish(1, 1, "x"); });
  EXPECT_NE(publish.code, BERTH_OK);
  EXPECT_NE(publish.message.find(dir_), std::string::npos) << "names the path: " << publish.message;
  ASSERT_EQ(::rename(away.c_str(), dir_.c_str()), 0);
  EXPECT_TRUE(on_a.wait_for(BERTH_CHANGED_CONNECTION, 2, std::chrono::seconds(10)));
  berth_leadership back = a->leadership();
  EXPECT_EQ(back.connected, 1);
  EXPECT_EQ(back.is_leader, 1) << "its session and candidacy came back with the directory";
  EXPECT_FALSE(a->lease().held) << "a lease once lost stays lost: others may have acted on it meanwhile";
  EXPECT_EQ(a->lease().session, held.session);
}

TEST_F(FileBackendTest, ARejectedInstanceCreatesNothing) {
  const std::string empty = fresh_state_directory();
  Failure failure = open_failure(plugin_, {{"dir", empty, "t"}, {"bogus", "1", "t"}});
  EXPECT_EQ(failure.code, BERTH_E_CONFIG);
  EXPECT_TRUE(names_in(empty).empty());
}

}  // namespace
}  // namespace berth::test

// The zookeeper backend's intake: records are PERSISTENT_SEQUENTIAL nodes under intake/, taken
// (or peeked and settled) by the leader only.
#include <algorithm>
#include <map>
#include <vector>

#include "zk_async.h"
#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {

using plugin::Error;

void ZkBackend::submit(std::string_view record) {
  if (record.size() > kMaxRecordBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, "submit: a record of " + std::to_string(record.size()) +
                                              " bytes is larger than the zookeeper backend's limit of " +
                                              std::to_string(kMaxRecordBytes));
  const std::string prefix = intake_ + "/r_";
  std::lock_guard lock(mutex_);
  int rc = zoo_create(handle(), prefix.c_str(), record.data(), static_cast<int>(record.size()), &acl_,
                      ZOO_PERSISTENT_SEQUENTIAL, nullptr, 0);
  if (rc != ZOK) fail(rc, "create a record under", intake_);
}

void ZkBackend::check_leads_locked(const char* operation) {
  if (candidate_.empty() || my_epoch_ == 0)
    throw Error(BERTH_E_STATE, std::string(operation) + ": only the leader takes submissions, and this instance does not lead");
  Stat epoch_stat;
  std::string owner;
  if (!get_locked(epoch_, &owner, &epoch_stat) || static_cast<uint64_t>(epoch_stat.version) != my_epoch_) {
    set_epoch_locked(0);
    throw Error(BERTH_E_STATE, std::string(operation) + ": this instance no longer leads (" + epoch_ + " moved on)");
  }
}

void ZkBackend::drain(const plugin::Sink& out) {
  std::vector<std::string> records;
  {
    std::lock_guard lock(mutex_);
    check_leads_locked("drain");
    for (const std::string& name : children_locked(intake_)) {
      const std::string path = intake_ + "/" + name;
      std::string record;
      Stat stat;
      if (!get_locked(path, &record, &stat)) continue;
      int rc = zoo_delete(handle(), path.c_str(), -1);
      if (rc == ZNONODE) continue;  // taken by someone else
      if (rc != ZOK) {
        if (records.empty()) fail(rc, "delete", path);
        break;  // hand over what was taken; the rest stays for the next drain
      }
      records.push_back(std::move(record));
    }
  }
  for (const std::string& record : records) out.item("", record.data(), record.size());
}

// Two round trips: the epoch and the list together, then every record not read before at once.
// A record never changes, and its name is never given again, so what was read stays true.
void ZkBackend::peek_intake(const plugin::Sink& out) {
  std::vector<std::pair<std::string, std::string>> records;
  {
    std::lock_guard lock(mutex_);
    if (candidate_.empty() || my_epoch_ == 0)
      throw Error(BERTH_E_STATE, "peek_intake: only the leader takes submissions, and this instance does not lead");
    zhandle_t* zh = handle();
    Outstanding listing;
    DataAnswer epoch;
    ChildrenAnswer children;
    get_async(zh, epoch_, listing, epoch);
    children_async(zh, intake_, listing, children);
    listing.wait();
    if (epoch.rc != ZOK && epoch.rc != ZNONODE) fail(epoch.rc, "read", epoch_);
    if (epoch.rc == ZNONODE || static_cast<uint64_t>(epoch.stat.version) != my_epoch_) {
      set_epoch_locked(0);
      throw Error(BERTH_E_STATE, "peek_intake: this instance no longer leads (" + epoch_ + " moved on)");
    }
    if (children.rc != ZOK) fail(children.rc, "list the children of", intake_);
    // Sorted names are oldest first: r_ and a zero-padded sequence number (ZooKeeper's counter
    // wraps past 2^31 creations under intake/; as for drain(), order is then lost once).
    std::sort(children.names.begin(), children.names.end());
    std::map<std::string, std::string> known;
    std::vector<std::pair<std::string, DataAnswer>> unread;
    for (const std::string& name : children.names) {
      auto it = intake_read_.find(name);
      if (it != intake_read_.end()) known.insert(intake_read_.extract(it));
      else unread.emplace_back(name, DataAnswer{});
    }
    Outstanding reading;
    for (auto& [name, answer] : unread) get_async(zh, intake_ + "/" + name, reading, answer);
    reading.wait();
    for (auto& [name, answer] : unread) {
      if (answer.rc == ZNONODE) continue;  // settled meanwhile
      if (answer.rc != ZOK) fail(answer.rc, "read", intake_ + "/" + name);
      known.emplace(name, std::move(answer.value));
    }
    intake_read_ = std::move(known);  // what is no longer listed is settled: forgotten
    for (const std::string& name : children.names)
      if (auto it = intake_read_.find(name); it != intake_read_.end()) records.emplace_back(name, it->second);
  }
  for (const auto& [name, record] : records) out.item(name, record.data(), record.size());
}

void ZkBackend::settle_intake(const std::vector<std::string_view>& keys) {
  // A key is a node name under intake/; nothing that could name a node elsewhere is deleted.
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string_view key = keys[i];
    bool valid = key.size() > 2 && key.size() <= 16 && key.substr(0, 2) == "r_";
    for (size_t at = 2; valid && at < key.size(); ++at) valid = (key[at] >= '0' && key[at] <= '9') || key[at] == '-';
    if (!valid)
      throw Error(BERTH_E_INVALID_ARGUMENT, "zookeeper: settle_intake: key #" + std::to_string(i) + " '" +
                                                std::string(key.substr(0, 64)) + "' is not a record under " + intake_);
  }
  std::lock_guard lock(mutex_);
  // In multis of a bounded size (one request stays far below jute.maxbuffer); a multi refused
  // (a record settled already is ZNONODE, and fails it whole) is done again one record at a time.
  constexpr size_t kPerMulti = 256;
  for (size_t from = 0; from < keys.size(); from += kPerMulti) {
    const size_t count = std::min(kPerMulti, keys.size() - from);
    std::vector<std::string> paths;
    for (size_t i = from; i < from + count; ++i) paths.push_back(intake_ + "/" + std::string(keys[i]));
    std::vector<zoo_op_t> ops(count);
    std::vector<zoo_op_result_t> results(count);
    for (size_t i = 0; i < count; ++i) zoo_delete_op_init(&ops[i], paths[i].c_str(), -1);
    if (multi(handle(), static_cast<int>(count), ops.data(), results.data()) == ZOK) continue;
    for (const std::string& path : paths) {
      int rc = zoo_delete(handle(), path.c_str(), -1);
      if (rc != ZOK && rc != ZNONODE) fail(rc, "delete", path);
    }
  }
}

}  // namespace berth::zk

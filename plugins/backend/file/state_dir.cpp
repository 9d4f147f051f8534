#include "state_dir.h"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <map>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace berth::file {

using plugin::Error;

namespace {

constexpr std::string_view kElectionMagic = "berth-file-election 1";
constexpr std::string_view kLatestMagic = "berth-file-latest 1";
constexpr std::string_view kLatestBasedMagic = "berth-file-latest 2";  // with a `base` line
constexpr std::string_view kMemberMagic = "berth-file-member 1";

// Splits "key value" lines; returns the value for `key` or nullopt.
std::optional<std::string_view> field(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return line.substr(key.size() + 1);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return std::nullopt;
}

bool starts_with_line(std::string_view text, std::string_view magic) {
  return text.size() > magic.size() && text.substr(0, magic.size()) == magic && text[magic.size()] == '\n';
}

bool is_session_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
  });
}

}  // namespace

std::string padded(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "%020llu", static_cast<unsigned long long>(value));
  return text;
}

std::optional<uint64_t> numbered_name(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  return parse_u64(name.substr(0, 20));
}

StateDir::StateDir(std::string root)
    : root_(std::move(root)),
      lock_(root_ + "/lock"),
      election_(root_ + "/election"),
      latest_(root_ + "/latest"),
      intake_seq_(root_ + "/intake.seq"),
      sessions_(root_ + "/sessions"),
      members_(root_ + "/members"),
      candidates_(root_ + "/candidates"),
      snapshots_(root_ + "/snapshots"),
      intake_(root_ + "/intake"),
      tmp_(root_ + "/tmp") {}

std::string StateDir::candidate_file(uint64_t seq, const std::string& session) const {
  return candidates_ + "/" + padded(seq) + "-" + session;
}

std::string StateDir::snapshot_file(uint64_t version) const { return snapshots_ + "/" + padded(version) + ".snap"; }

std::string StateDir::intake_file(uint64_t seq) const { return intake_ + "/" + padded(seq) + ".rec"; }

void StateDir::prepare() const {
  for (const std::string* sub : {&sessions_, &members_, &candidates_, &snapshots_, &intake_, &tmp_})
    ensure_directory(*sub, BERTH_E_CONFIG);
  open_or_throw(lock_, O_RDWR | O_CREAT, 0666, BERTH_E_CONFIG);
}

bool StateDir::alive(const std::string& session) const {
  if (!is_session_name(session)) return false;
  return lock_is_held(session_file(session), BERTH_E_UNAVAILABLE);
}

Election StateDir::read_election() const {
  Election election;
  std::optional<std::string> text = read_file_if_exists(election_, BERTH_E_UNAVAILABLE);
  if (!text) return election;
  auto number = [&](std::string_view key) {
    std::optional<std::string_view> value = field(*text, key);
    std::optional<uint64_t> parsed = value ? parse_u64(*value) : std::nullopt;
    if (!parsed) throw Error(BERTH_E_CORRUPT, "'" + election_ + "' is not an election record: no valid '" +
                                                  std::string(key) + "' line");
    return *parsed;
  };
  if (!starts_with_line(*text, kElectionMagic))
    throw Error(BERTH_E_CORRUPT, "'" + election_ + "' is not an election record (it does not start with '" +
                                     std::string(kElectionMagic) + "')");
  election.next_seq = number("next_seq");
  election.epoch = number("epoch");
  election.leader_seq = number("leader_seq");
  std::optional<std::string_view> session = field(*text, "leader_session");
  election.leader_session = session && *session != "-" ? std::string(*session) : std::string();
  return election;
}

void StateDir::write_election_locked(const Election& election, const std::string& writer) const {
  std::string text = std::string(kElectionMagic) + "\nnext_seq " + std::to_string(election.next_seq) + "\nepoch " +
                     std::to_string(election.epoch) + "\nleader_seq " + std::to_string(election.leader_seq) +
                     "\nleader_session " + (election.leader_session.empty() ? "-" : election.leader_session) + "\n";
  // Durable: an epoch must never go backwards, not even after a power cut.
  replace_file(temp_file(writer, "election"), election_, text, true, BERTH_E_UNAVAILABLE);
}

std::vector<Candidate> StateDir::list_candidates() const {
  std::vector<Candidate> out;
  for (std::string& name : list_directory(candidates_, BERTH_E_UNAVAILABLE)) {
    if (name.size() < 22 || name[20] != '-') continue;
    std::optional<uint64_t> seq = parse_u64(std::string_view(name).substr(0, 20));
    if (!seq) continue;
    std::string session = name.substr(21);
    out.push_back(Candidate{*seq, std::move(session), std::move(name)});
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.seq < b.seq; });
  return out;
}

Election StateDir::settle_locked(const std::string& writer, bool* changed) const {
  Election election = read_election();
  const Candidate* first = nullptr;
  std::vector<Candidate> candidates = list_candidates();
  for (const Candidate& candidate : candidates) {
    if (alive(candidate.session)) {
      first = &candidate;
      break;
    }
    remove_file(candidates_ + "/" + candidate.name, BERTH_E_UNAVAILABLE);
  }
  uint64_t seq = first != nullptr ? first->seq : 0;
  if (seq == election.leader_seq) return election;
  election.leader_seq = seq;
  election.leader_session = first != nullptr ? first->session : std::string();
  // A new leading candidate (even the same instance campaigning again) gets a new epoch, so
  // nothing prepared under an older one can be published.
  if (first != nullptr) ++election.epoch;
  if (election.next_seq <= seq) election.next_seq = seq + 1;
  write_election_locked(election, writer);
  if (changed != nullptr) *changed = true;
  return election;
}

Election StateDir::settle(const std::string& writer, bool* changed) const {
  Election election = read_election();
  uint64_t first = 0;
  for (const Candidate& candidate : list_candidates()) {
    if (alive(candidate.session)) {
      first = candidate.seq;
      break;
    }
  }
  if (first == election.leader_seq) return election;
  DirectoryLock held = lock();
  return settle_locked(writer, changed);
}

StateDir::Latest StateDir::latest() const {
  std::optional<std::string> text = read_file_if_exists(latest_, BERTH_E_UNAVAILABLE);
  if (!text) return {};
  bool based = starts_with_line(*text, kLatestBasedMagic);
  if (!based && !starts_with_line(*text, kLatestMagic))
    throw Error(BERTH_E_CORRUPT, "'" + latest_ + "' is not a latest-version pointer (it does not start with '" +
                                     std::string(kLatestMagic) + "'); " + std::to_string(text->size()) + " bytes");
  auto number = [&](std::string_view key) {
    std::optional<std::string_view> value = field(*text, key);
    std::optional<uint64_t> parsed = value ? parse_u64(*value) : std::nullopt;
    if (!parsed)
      throw Error(BERTH_E_CORRUPT, "'" + latest_ + "' is not a latest-version pointer: no valid '" + std::string(key) + "' line");
    return *parsed;
  };
  Latest out;
  out.version = number("version");
  if (based) out.base = number("base");
  if (based && (out.base == 0 || out.base >= out.version))
    throw Error(BERTH_E_CORRUPT, "'" + latest_ + "' names version " + std::to_string(out.version) + " based on version " +
                                     std::to_string(out.base) + ", which is not older");
  return out;
}

std::string StateDir::encode_latest(const Latest& latest) {
  if (latest.base == 0) return std::string(kLatestMagic) + "\nversion " + std::to_string(latest.version) + "\n";
  return std::string(kLatestBasedMagic) + "\nversion " + std::to_string(latest.version) + "\nbase " +
         std::to_string(latest.base) + "\n";
}

uint64_t StateDir::intake_seq() const {
  std::optional<std::string> text = read_file_if_exists(intake_seq_, BERTH_E_UNAVAILABLE);
  if (!text) return 0;
  std::string_view value(*text);
  if (!value.empty() && value.back() == '\n') value.remove_suffix(1);
  std::optional<uint64_t> seq = parse_u64(value);
  if (!seq) throw Error(BERTH_E_CORRUPT, "'" + intake_seq_ + "' does not hold a sequence number");
  return *seq;
}

std::string StateDir::member_file_name(std::string_view id) {
  // Readable names for ordinary ids (host:port); anything else escaped as %XX. An id too long for
  // a file name is named by its hash; the file holds the id itself, so a clash is detected.
  std::string name = "m-";
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '.' ||
                 u == '_' || u == '-' || u == ':';
    if (plain) {
      name += c;
    } else {
      name += '%';
      name += kHex[u >> 4];
      name += kHex[u & 15];
    }
  }
  if (name.size() <= 200) return name;
  char hashed[40];
  std::snprintf(hashed, sizeof hashed, "h-%016llx", static_cast<unsigned long long>(XXH3_64bits(id.data(), id.size())));
  return hashed;
}

std::string StateDir::encode_member(const MemberRecord& member) {
  return std::string(kMemberMagic) + "\nowner " + member.owner + "\nid " + std::to_string(member.id.size()) + "\n" +
         member.id + member.info;
}

std::optional<MemberRecord> StateDir::read_member(const std::string& path) const {
  std::optional<std::string> text = read_file_if_exists(path, BERTH_E_UNAVAILABLE);
  if (!text) return std::nullopt;
  auto corrupt = [&](const std::string& why) {
    return Error(BERTH_E_CORRUPT, "member file '" + path + "' is corrupt: " + why);
  };
  std::string_view rest(*text);
  if (!starts_with_line(rest, kMemberMagic)) throw corrupt("it does not start with '" + std::string(kMemberMagic) + "'");
  rest.remove_prefix(kMemberMagic.size() + 1);
  size_t end = rest.find('\n');
  if (end == std::string_view::npos || rest.substr(0, 6) != "owner ") throw corrupt("no owner line");
  MemberRecord member;
  member.owner = std::string(rest.substr(6, end - 6));
  rest.remove_prefix(end + 1);
  end = rest.find('\n');
  std::optional<uint64_t> id_len =
      end != std::string_view::npos && rest.substr(0, 3) == "id " ? parse_u64(rest.substr(3, end - 3)) : std::nullopt;
  if (!id_len) throw corrupt("no id line");
  rest.remove_prefix(end + 1);
  if (*id_len > rest.size()) throw corrupt("the id is cut short");
  member.id = std::string(rest.substr(0, *id_len));
  member.info = std::string(rest.substr(*id_len));
  return member;
}

void StateDir::reap_dead_locked() const {
  std::map<std::string, bool> live;
  auto is_alive = [&](const std::string& session) {
    auto it = live.find(session);
    if (it == live.end()) it = live.emplace(session, alive(session)).first;
    return it->second;
  };
  std::vector<std::string> dead_sessions;
  for (const std::string& name : list_directory(sessions_, BERTH_E_UNAVAILABLE)) {
    if (name.size() <= 5 || name.substr(name.size() - 5) != ".lock") continue;
    std::string session = name.substr(0, name.size() - 5);
    if (!is_alive(session)) dead_sessions.push_back(session);
  }
  for (const std::string& name : list_directory(members_, BERTH_E_UNAVAILABLE)) {
    std::string file = members_ + "/" + name;
    std::optional<MemberRecord> member;
    try {
      member = read_member(file);
    } catch (const Error& e) {
      if (e.code() != BERTH_E_CORRUPT) throw;
      continue;  // not ours to delete: members() reports it
    }
    if (member && !is_alive(member->owner)) remove_file(file, BERTH_E_UNAVAILABLE);
  }
  for (const Candidate& candidate : list_candidates())
    if (!is_alive(candidate.session)) remove_file(candidates_ + "/" + candidate.name, BERTH_E_UNAVAILABLE);
  for (const std::string& name : list_directory(tmp_, BERTH_E_UNAVAILABLE)) {
    size_t dot = name.find('.');
    if (dot == std::string::npos) continue;
    if (!is_alive(name.substr(0, dot))) remove_file(tmp_ + "/" + name, BERTH_E_UNAVAILABLE);
  }
  for (const std::string& session : dead_sessions) remove_file(session_file(session), BERTH_E_UNAVAILABLE);
}

std::string StateDir::describe_session(const std::string& session) const {
  std::string out = "backend instance " + session;
  try {
    std::optional<std::string> text = read_file_if_exists(session_file(session), BERTH_E_UNAVAILABLE);
    if (text) {
      std::optional<std::string_view> pid = field(*text, "pid");
      if (pid) out += " (pid " + std::string(*pid) + ")";
    }
    std::vector<std::string> owned;
    for (const std::string& name : list_directory(members_, BERTH_E_UNAVAILABLE)) {
      std::optional<MemberRecord> member = read_member(members_ + "/" + name);
      if (member && member->owner == session) owned.push_back(member->id);
    }
    std::sort(owned.begin(), owned.end());
    std::string list;
    for (size_t i = 0; i < owned.size() && i < 3; ++i) list += (i == 0 ? "" : ", ") + owned[i];
    if (owned.size() > 3) list += ", ...";
    if (!list.empty()) out += " with members " + list;
  } catch (const Error&) {
    // Only a description: what could not be read is left out.
  }
  return out;
}

std::string StateDir::describe_leader(const Election& election) const {
  if (election.leader_seq == 0) return "no instance leads '" + root_ + "' now";
  return describe_session(election.leader_session) + " leads '" + root_ + "' at epoch " +
         std::to_string(election.epoch);
}

}  // namespace berth::file

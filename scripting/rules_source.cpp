#include "scripting/rules_source.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "common/error.h"

namespace berth::rules {

RulesSource::RulesSource(std::filesystem::path file, Limits limits) : file_(std::move(file)), limits_(limits) {
  seen_ = stamp();
  in_force_ = RuleSet::compile(file_.string(), read(), limits_);
}

std::optional<RulesSource::Stamp> RulesSource::stamp() const {
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0) return std::nullopt;
  return Stamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec, static_cast<uint64_t>(st.st_size),
               static_cast<uint64_t>(st.st_ino)};
}

std::string RulesSource::read() const {
  std::ifstream in(file_, std::ios::binary);
  if (!in) throw Error(BERTH_E_CONFIG, fmt::format("rules file {}: cannot be read", file_.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool RulesSource::poll() {
  std::lock_guard lock(mutex_);
  return poll_locked();
}

bool RulesSource::poll_locked() {
  std::optional<Stamp> now = stamp();
  if (now == seen_) return false;
  seen_ = now;
  candidate_.reset();
  pending_refusal_.clear();
  try {
    std::string text = read();
    uint64_t hash = rules_hash(text);
    // Touched, not changed; or a text already refused (reported once per change of the text).
    if (hash == in_force_->hash() || hash == refused_hash_) return true;
    refused_hash_ = hash;  // until it comes into force
    if (text.empty())  // most likely a write under way (truncated, not yet written)
      throw Error(BERTH_E_CONFIG, fmt::format("rules file {} is empty (write a comment for no rules)", file_.string()));
    candidate_ = RuleSet::compile(file_.string(), std::move(text), limits_);
  } catch (const Error& e) {
    pending_refusal_ = e.what();
  }
  return true;
}

SourceOutcome RulesSource::evaluate(const Input& input) {
  std::lock_guard lock(mutex_);
  poll_locked();
  SourceOutcome out;
  if (!pending_refusal_.empty()) {
    out.refused = fmt::format("{} (the rules in force, hash {:016x}, stay)", pending_refusal_, in_force_->hash());
    pending_refusal_.clear();
  }
  // A candidate is judged against a real cluster: with no servers it waits for the next refresh.
  if (candidate_ && input.servers->count > 0) {
    std::shared_ptr<RuleSet> candidate = std::move(candidate_);
    candidate_.reset();
    Evaluation trial = candidate->evaluate(input);
    if (!trial.has_errors()) {
      refused_hash_ = 0;
      in_force_ = std::move(candidate);
      out.reloaded = true;
      out.evaluation = std::move(trial);
      out.rules = in_force_;
      return out;
    }
    out.refused = fmt::format("rules file {} refused, the rules in force (hash {:016x}) stay:\n{}", file_.string(),
                              in_force_->hash(), trial.report());
  }
  out.evaluation = in_force_->evaluate(input);
  out.rules = in_force_;
  return out;
}

}  // namespace berth::rules

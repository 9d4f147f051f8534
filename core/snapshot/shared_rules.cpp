#include <cstring>
#include <memory>
#include <string>

#include "common/error.h"
#include "snapshot/shared_rules.h"
#include "snapshot/shared_rules_codec.h"

namespace berth {

void encode_shared_rules(schema::Snapshot::Builder root, const Snapshot& s) {
  if (!s.shared_rules || s.shared_rules->version == 0) return;
  const SharedRules& r = *s.shared_rules;
  auto out = root.initSharedRules();
  out.setVersion(r.version);
  out.setHash(r.hash);
  if (r.in_base) {
    out.setInBase(true);
    return;
  }
  auto text = out.initScript(static_cast<unsigned>(r.script.size()));
  std::memcpy(text.begin(), r.script.data(), r.script.size());
}

void decode_shared_rules(Snapshot& s, schema::Snapshot::Reader root) {
  s.shared_rules.reset();
  if (!root.hasSharedRules()) return;
  auto in = root.getSharedRules();
  const std::string where = "snapshot version " + std::to_string(root.getVersion()) + ": shared rules";
  if (in.getVersion() == 0) throw Error(BERTH_E_CORRUPT, where + " have version 0 (a pushed script starts at 1)");
  auto text = in.getScript();
  if (text.size() > kMaxRulesScriptBytes)
    throw Error(BERTH_E_CORRUPT, where + " version " + std::to_string(in.getVersion()) + " carry a script of " +
                                     std::to_string(text.size()) + " bytes, more than the limit of " +
                                     std::to_string(kMaxRulesScriptBytes));
  auto rules = std::make_shared<SharedRules>();
  rules->version = in.getVersion();
  rules->script.assign(text.begin(), text.size());
  rules->hash = in.getHash();
  if (in.getInBase()) {
    if (!rules->script.empty()) throw Error(BERTH_E_CORRUPT, where + " are marked as the base's but carry a script");
    rules->in_base = true;
    s.shared_rules = std::move(rules);
    return;
  }
  if (rules->hash != shared_rules_hash(rules->script))
    throw Error(BERTH_E_CORRUPT, where + " version " + std::to_string(rules->version) +
                                     ": the recorded hash is not the script's");
  s.shared_rules = std::move(rules);
}

std::shared_ptr<const SharedRules> shared_rules_for_head(const Snapshot& base, const Snapshot& next) {
  const auto& b = base.shared_rules;
  const auto& n = next.shared_rules;
  if (!n || !b || b->in_base || b->version != n->version || b->hash != n->hash) return n;
  auto marked = std::make_shared<SharedRules>();
  marked->version = n->version;
  marked->hash = n->hash;
  marked->in_base = true;
  return marked;
}

void shared_rules_from_base(Snapshot& s, const Snapshot& base) {
  if (!s.shared_rules || !s.shared_rules->in_base) return;
  const auto& b = base.shared_rules;
  if (!b || b->in_base || b->version != s.shared_rules->version || b->hash != s.shared_rules->hash)
    throw Error(BERTH_E_CORRUPT, "delta of version " + std::to_string(s.meta.version) + " keeps the shared rules version " +
                                     std::to_string(s.shared_rules->version) + " of its base, which has " +
                                     (b ? "version " + std::to_string(b->version) : std::string("none")));
  s.shared_rules = b;
}

}  // namespace berth

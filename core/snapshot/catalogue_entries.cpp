#include "snapshot/catalogue_entries.h"

#include <algorithm>
#include <climits>

namespace berth {

void CatalogueEntries::index() {
  migration_index_.clear();
  queued_index_.clear();
  recent_index_.clear();
  sealed_index_.clear();
  purge_index_.clear();
  for (uint32_t k = 0; k < migrations.size(); ++k) migration_index_.emplace(migrations[k].stream, k);
  for (uint32_t k = 0; k < queued.size(); ++k) queued_index_.emplace(queued[k].stream, k);
  for (uint32_t k = 0; k < recent.size(); ++k) recent_index_[recent[k].stream] = k;
  for (uint32_t k = 0; k < sealed_reads.size(); ++k) sealed_index_.emplace(sealed_reads[k].stream, k);
  for (uint32_t k = 0; k < purges.size(); ++k) purge_index_.emplace(purges[k].stream, k);
}

const Migration* CatalogueEntries::migration_of(std::string_view stream) const {
  auto it = migration_index_.find(std::string(stream));
  return it == migration_index_.end() ? nullptr : &migrations[it->second];
}

const QueuedMigration* CatalogueEntries::queued_of(std::string_view stream) const {
  auto it = queued_index_.find(std::string(stream));
  return it == queued_index_.end() ? nullptr : &queued[it->second];
}

namespace {
std::vector<std::string_view> servers_of(const std::unordered_multimap<std::string, uint32_t>& index,
                                         const std::vector<StreamAt>& list, std::string_view stream) {
  std::vector<uint32_t> at;
  auto [first, last] = index.equal_range(std::string(stream));
  for (auto it = first; it != last; ++it) at.push_back(it->second);
  std::sort(at.begin(), at.end());
  std::vector<std::string_view> out;
  for (uint32_t k : at) out.emplace_back(list[k].server);
  return out;
}
}  // namespace

std::vector<std::string_view> CatalogueEntries::sealed_reads_of(std::string_view stream) const {
  return servers_of(sealed_index_, sealed_reads, stream);
}

std::vector<std::string_view> CatalogueEntries::purges_of(std::string_view stream) const {
  return servers_of(purge_index_, purges, stream);
}

int64_t CatalogueEntries::migrated_at(std::string_view stream) const {
  auto it = recent_index_.find(std::string(stream));
  return it == recent_index_.end() ? INT64_MIN : recent[it->second].done_unix_ms;
}

}  // namespace berth

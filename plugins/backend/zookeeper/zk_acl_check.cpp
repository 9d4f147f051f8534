// With backend.auth, the znodes this backend uses must be changeable only by holders of the
// credential: one made earlier by someone else (or opened later with setAcl) would let anyone
// register a server, stand for election or rewrite the snapshot, whatever ACL Berth's own
// nodes carry. Such a znode is refused, never used.
#include <cstring>
#include <string>

#include "zk_client.h"
#include "zookeeper_backend.h"

namespace berth::zk {
namespace {

using plugin::Error;

std::string perms_of(int32_t perms) {
  std::string out;
  for (const auto& [bit, letter] : {std::pair{ZOO_PERM_CREATE, 'c'}, std::pair{ZOO_PERM_DELETE, 'd'},
                                    std::pair{ZOO_PERM_READ, 'r'}, std::pair{ZOO_PERM_WRITE, 'w'},
                                    std::pair{ZOO_PERM_ADMIN, 'a'}})
    if ((perms & bit) != 0) out += letter;
  return out;
}

}  // namespace

void ZkBackend::refuse_foreign_acl_locked(const std::string& path) {
  const std::string user = auth_.substr(0, auth_.find(':'));
  ACL_vector acl{};
  Stat stat;
  int rc = zoo_get_acl(handle(), path.c_str(), &acl, &stat);
  if (rc != ZOK) fail(rc, "read the ACL of", path);
  std::string foreign;
  const int32_t changes = ZOO_PERM_WRITE | ZOO_PERM_CREATE | ZOO_PERM_DELETE | ZOO_PERM_ADMIN;
  for (int32_t i = 0; i < acl.count && foreign.empty(); ++i) {
    const ACL& entry = acl.data[i];
    if ((entry.perms & changes) == 0) continue;
    // The server stores this credential's entries as digest "user:hash".
    const bool ours = std::strcmp(entry.id.scheme, "digest") == 0 && std::strncmp(entry.id.id, user.c_str(), user.size()) == 0 &&
                      entry.id.id[user.size()] == ':';
    if (!ours) foreign = std::string(entry.id.scheme) + ":" + entry.id.id + " (" + perms_of(entry.perms) + ")";
  }
  deallocate_ACL_vector(&acl);
  if (foreign.empty()) return;
  throw Error(BERTH_E_PERMISSION,
              "zookeeper: " + path + " may be changed by " + foreign + ", not only by holders of the credential of digest user '" +
                  user + "' (backend.auth); it was made or opened by someone else, so this instance will not use it: "
                  "set its ACL to digest '" + user + "' (cdrwa) and world:anyone (r), or delete it so Berth makes it again "
                  "with its own ACL");
}

}  // namespace berth::zk

// With backend.auth, the znodes this backend uses must be changeable only by holders of the
// credential: one made earlier by someone else (or opened later with setAcl) would let anyone
// register a server, stand for election or rewrite the snapshot, whatever ACL Berth's own
// nodes carry. Such a znode is refused, never used.
#include <openssl/evp.h>

#include <cstring>
#include <string>
#include <string_view>

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

// The id the server gives "user:password" under the digest scheme: user:base64(sha1(user:password)).
std::string digest_id_of(const std::string& auth) {
  unsigned char sha1[EVP_MAX_MD_SIZE];
  unsigned int sha1_size = 0;
  if (EVP_Digest(auth.data(), auth.size(), sha1, &sha1_size, EVP_sha1(), nullptr) != 1)
    throw Error(BERTH_E_INTERNAL, "zookeeper: could not compute the SHA-1 digest of backend.auth (libcrypto)");
  unsigned char base64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int base64_size = EVP_EncodeBlock(base64, sha1, static_cast<int>(sha1_size));
  return auth.substr(0, auth.find(':')) + ":" + std::string(reinterpret_cast<const char*>(base64), static_cast<size_t>(base64_size));
}

// An entry as a refusal names it: a digest id without its hash, which stands for a password.
std::string shown(const Id& id) {
  std::string text = std::string(id.scheme) + ":" + id.id;
  if (std::strcmp(id.scheme, "digest") == 0) text = text.substr(0, text.rfind(':')) + ":<password hash>";
  return text;
}

}  // namespace

void ZkBackend::refuse_foreign_acl_locked(const std::string& path) {
  const std::string user = auth_.substr(0, auth_.find(':'));
  const std::string ours_id = digest_id_of(auth_);
  ACL_vector acl{};
  Stat stat;
  int rc = zoo_get_acl(handle(), path.c_str(), &acl, &stat);
  if (rc != ZOK) fail(rc, "read the ACL of", path);
  std::string foreign;
  bool same_user_other_password = false;
  const int32_t changes = ZOO_PERM_WRITE | ZOO_PERM_CREATE | ZOO_PERM_DELETE | ZOO_PERM_ADMIN;
  for (int32_t i = 0; i < acl.count && foreign.empty(); ++i) {
    const ACL& entry = acl.data[i];
    if ((entry.perms & changes) == 0) continue;
    // The whole id: the same user name with another password is someone else.
    const bool ours = std::strcmp(entry.id.scheme, "digest") == 0 && entry.id.id == ours_id;
    if (ours) continue;
    foreign = shown(entry.id) + " (" + perms_of(entry.perms) + ")";
    same_user_other_password = std::strcmp(entry.id.scheme, "digest") == 0 &&
                               std::string_view(entry.id.id).substr(0, user.size() + 1) == user + ":";
  }
  deallocate_ACL_vector(&acl);
  if (foreign.empty()) return;
  if (same_user_other_password)
    throw Error(BERTH_E_PERMISSION, "zookeeper: the ACL of " + path + " names digest user '" + user +
                                        "' with another password: the password in backend.auth does not match the one "
                                        "that made it; correct backend.auth (the znode is left as it is)");
  throw Error(BERTH_E_PERMISSION,
              "zookeeper: " + path + " may be changed by " + foreign + ", not only by holders of the credential of digest user '" +
                  user + "' (backend.auth); it was made or opened by someone else, so this instance will not use it: "
                  "delete it and everything below it so Berth makes them again with its own ACL (setting the ACL of "
                  "this znode alone would leave children someone else made unchecked)");
}

}  // namespace berth::zk

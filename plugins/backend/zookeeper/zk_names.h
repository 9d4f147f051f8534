// Names and numbers as they appear in the znode tree of the `zookeeper` backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::zk {

// A member id (any non-empty bytes) as one znode name: [A-Za-z0-9_:-] stay, every other byte
// becomes %XX, so '/', '.', control bytes and non-ASCII never reach a path.
std::string encode_name(std::string_view id);
// The inverse; nullopt for a name encode_name() cannot have produced.
std::optional<std::string> decode_name(std::string_view name);

// A version node's name, "<version>-<epoch>" zero-padded to 20 digits each, so names sort by
// version and two leaders writing the same version never share a node.
std::string version_node_name(uint64_t version, uint64_t epoch);
// The version in such a name; nullopt for anything else.
std::optional<uint64_t> version_of_node_name(std::string_view name);

// Of the version nodes `names` (other names are ignored), those that may go below `floor`: below
// it, none of `bases` (0s are ignored), and not among the two newest.
std::vector<std::string> versions_to_remove(std::vector<std::string> names, uint64_t floor,
                                            const std::vector<uint64_t>& bases);

// The parsed content of snapshots/latest: "berth-zk-latest 1 <version> <epoch> <chunks> <size>",
// or for a version based on another (a snapshot delta) "berth-zk-latest 2 <version> <epoch>
// <chunks> <size> <base> <base epoch> <base chunks> <base size>": the pointer names every node a
// reader needs, and a reader predating deltas refuses format 2 rather than misread it. Formats 3
// and 4 are 1 and 2 with the codec (zk_chunk_codec.h) after each version's size:
// "berth-zk-latest 3 <version> <epoch> <chunks> <size> <codec>", "berth-zk-latest 4 ... <size>
// <codec> <base> <base epoch> <base chunks> <base size> <base codec>"; a reader predating them
// refuses them. `size` is what is stored (the chunks' bytes together).
struct Latest {
  uint64_t version = 0;  // 0: nothing published yet
  uint64_t epoch = 0;
  uint64_t chunks = 0;
  uint64_t size = 0;
  uint64_t base = 0;  // 0: self-contained
  uint64_t base_epoch = 0;
  uint64_t base_chunks = 0;
  uint64_t base_size = 0;
  uint64_t codec = 0;  // a Codec
  uint64_t base_codec = 0;
};
std::string format_latest(const Latest& latest);
std::optional<Latest> parse_latest(std::string_view text);
// Whether `text` is a pointer of a format above those parse_latest knows: a newer build wrote it.
bool latest_format_is_newer(std::string_view text);

}  // namespace berth::zk

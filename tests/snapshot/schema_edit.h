// Published bytes seen through the schema, for tests: rewritten (hostile variations of real
// bytes) or inspected (how the owners were stored).
#pragma once

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/io.h>

#include <cstdint>
#include <functional>
#include <string>

#include "berth/snapshot.capnp.h"

namespace berth::test {

// `bytes` (a packed Snapshot message, full or delta) re-encoded after `edit` changed its fields.
inline std::string edited(const std::string& bytes, const std::function<void(schema::Snapshot::Builder)>& edit) {
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader reader(input);
  capnp::MallocMessageBuilder message;
  message.setRoot(reader.getRoot<schema::Snapshot>());
  edit(message.getRoot<schema::Snapshot>());
  kj::VectorOutputStream out;
  capnp::writePackedMessage(out, message);
  auto array = out.getArray();
  return std::string(reinterpret_cast<const char*>(array.begin()), array.size());
}

// How many owners full snapshot bytes spell out as exceptions; -1 when they store every owner.
inline int64_t stored_exceptions(const std::string& bytes) {
  kj::ArrayInputStream input(kj::ArrayPtr<const kj::byte>(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
  capnp::PackedMessageReader reader(input);
  auto streams = reader.getRoot<schema::Snapshot>().getStreams();
  return streams.getOwnersImplicit() ? static_cast<int64_t>(streams.getExceptionIndex().size()) : -1;
}

}  // namespace berth::test

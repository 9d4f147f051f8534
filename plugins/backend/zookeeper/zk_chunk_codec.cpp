#include "zk_chunk_codec.h"

#include <zstd.h>

#include <algorithm>
#include <memory>

#include "berth/plugin.hpp"

namespace berth::zk {
namespace {

using plugin::Error;

// Level 3 (zstd's default) packs a 1M-stream snapshot in well under a second on one core;
// higher levels gain little on these bytes for much more time on the leader.
constexpr int kLevel = 3;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

}  // namespace

std::string pack_version(std::string_view bytes) {
  std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx(ZSTD_createCCtx());
  if (!ctx) throw Error(BERTH_E_INTERNAL, "zookeeper: zstd could not allocate a compression context");
  ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, kLevel);
  ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1);  // damage is found, not decoded
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n))
    throw Error(BERTH_E_INTERNAL, std::string("zookeeper: zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string unpack_version(Codec codec, std::string stored, const std::string& where) {
  if (codec == Codec::raw) return stored;
  if (codec != Codec::zstd)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + where + " is stored with unknown codec " +
                                     std::to_string(static_cast<uint64_t>(codec)));
  std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx(ZSTD_createDCtx());
  if (!ctx) throw Error(BERTH_E_INTERNAL, "zookeeper: zstd could not allocate a decompression context");
  // Streamed into a growing buffer: the frame's declared size is not trusted for the allocation.
  std::string out;
  ZSTD_inBuffer in{stored.data(), stored.size(), 0};
  for (;;) {
    const size_t step = std::max<size_t>(ZSTD_DStreamOutSize(), out.size() / 2);
    const size_t at = out.size();
    out.resize(at + step);
    ZSTD_outBuffer sink{out.data() + at, step, 0};
    const size_t left = ZSTD_decompressStream(ctx.get(), &sink, &in);
    out.resize(at + sink.pos);
    if (ZSTD_isError(left))
      throw Error(BERTH_E_CORRUPT, "zookeeper: " + where + " does not decompress (" + ZSTD_getErrorName(left) + ")");
    if (left == 0) {
      if (in.pos < in.size)
        throw Error(BERTH_E_CORRUPT, "zookeeper: " + where + " holds " + std::to_string(in.size - in.pos) +
                                         " bytes after its zstd frame");
      break;
    }
    // All input read and the output not filled: the decoder waits for bytes that are not there.
    if (in.pos == in.size && sink.pos < step)
      throw Error(BERTH_E_CORRUPT, "zookeeper: " + where + " ends inside its zstd frame (truncated)");
  }
  return out;
}

}  // namespace berth::zk

#include "zk_chunk_codec.h"

#include <zstd.h>

#include <memory>

#include "berth/plugin.hpp"

namespace berth::zk {
namespace {

using plugin::Error;

// Level 3 (zstd's default) packs a 1M-stream snapshot in well under a second on one core;
// higher levels gain little on these bytes for much more time on the leader.
constexpr int kLevel = 3;
// An 8 MiB window is written and the most a reader accepts, so a frame cannot make a reader
// allocate a larger window than the writer used.
constexpr int kWindowLog = 23;

struct FreeCCtx {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct FreeDCtx {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// A parameter zstd refuses is a build fault, not bad data.
void set_or_throw(size_t rc, const char* what) {
  if (ZSTD_isError(rc))
    throw Error(BERTH_E_INTERNAL, std::string("zookeeper: zstd refused ") + what + ": " + ZSTD_getErrorName(rc));
}

}  // namespace

std::string pack_version(std::string_view bytes) {
  if (bytes.size() > kMaxVersionBytes)
    throw Error(BERTH_E_INVALID_ARGUMENT, "zookeeper: a snapshot version of " + std::to_string(bytes.size()) +
                                              " bytes is over the " + std::to_string(kMaxVersionBytes) +
                                              "-byte limit (docs/limits.md)");
  std::unique_ptr<ZSTD_CCtx, FreeCCtx> ctx(ZSTD_createCCtx());
  if (!ctx) throw Error(BERTH_E_INTERNAL, "zookeeper: zstd could not allocate a compression context");
  set_or_throw(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, kLevel), "the compression level");
  set_or_throw(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_windowLog, kWindowLog), "the window size");
  set_or_throw(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1), "the checksum");  // damage is found
  // ZSTD_compress2 writes the content size into the frame header; unpack_version requires it.
  set_or_throw(ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_contentSizeFlag, 1), "the content size flag");
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const size_t n = ZSTD_compress2(ctx.get(), out.data(), out.size(), bytes.data(), bytes.size());
  if (ZSTD_isError(n))
    throw Error(BERTH_E_INTERNAL, std::string("zookeeper: zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string unpack_version(Codec codec, std::string_view stored, const std::string& where) {
  if (codec == Codec::raw) return std::string(stored);
  if (codec != Codec::zstd)
    throw Error(BERTH_E_CORRUPT, "zookeeper: " + where + " is stored with unknown codec " +
                                     std::to_string(static_cast<uint64_t>(codec)));
  const auto corrupt = [&where](const std::string& why) { return Error(BERTH_E_CORRUPT, "zookeeper: " + where + " " + why); };
  // The frame's declared size bounds the one allocation: a frame that claims more than the cap,
  // or nothing, is refused before any byte is decoded (a small frame may expand enormously).
  const unsigned long long claimed = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (claimed == ZSTD_CONTENTSIZE_ERROR) throw corrupt("does not start with a whole zstd frame header");
  if (claimed == ZSTD_CONTENTSIZE_UNKNOWN) throw corrupt("is a zstd frame that does not declare its size");
  if (claimed > kMaxVersionBytes)
    throw corrupt("claims " + std::to_string(claimed) + " bytes, over the " + std::to_string(kMaxVersionBytes) +
                  "-byte limit of a snapshot version");
  const size_t frame = ZSTD_findFrameCompressedSize(stored.data(), stored.size());
  if (ZSTD_isError(frame)) throw corrupt(std::string("ends inside its zstd frame (") + ZSTD_getErrorName(frame) + ")");
  if (frame != stored.size())
    throw corrupt("holds " + std::to_string(stored.size() - frame) + " bytes after its zstd frame");
  std::unique_ptr<ZSTD_DCtx, FreeDCtx> ctx(ZSTD_createDCtx());
  if (!ctx) throw Error(BERTH_E_INTERNAL, "zookeeper: zstd could not allocate a decompression context");
  set_or_throw(ZSTD_DCtx_setParameter(ctx.get(), ZSTD_d_windowLogMax, kWindowLog), "the window limit");
  std::string out(static_cast<size_t>(claimed), '\0');
  const size_t n = ZSTD_decompressDCtx(ctx.get(), out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(n)) throw corrupt(std::string("does not decompress (") + ZSTD_getErrorName(n) + ")");
  if (n != out.size())
    throw corrupt("decompresses to " + std::to_string(n) + " bytes, not the " + std::to_string(claimed) + " it declares");
  return out;
}

}  // namespace berth::zk

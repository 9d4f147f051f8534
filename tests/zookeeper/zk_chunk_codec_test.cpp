// What a reader makes of hostile stored versions (zk_chunk_codec.h): every frame that does not
// decode, claims too much or hides its size is BERTH_E_CORRUPT naming the node, before a byte of
// it is allocated beyond the limit. No ZooKeeper: the codec is called directly.
#include <zstd.h>

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "berth/plugin.hpp"
#include "zk_chunk_codec.h"
#include "zookeeper/test_bytes.h"

namespace berth::zk {
namespace {

const std::string kWhere = "/berth/snapshots/versions/00000000000000000007-00000000000000000002";

struct Refusal {
  int code = BERTH_OK;
  std::string message;
};

Refusal refusal_of(Codec codec, const std::string& stored) {
  try {
    unpack_version(codec, stored, kWhere);
  } catch (const plugin::Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

void expect_corrupt_naming_the_node(const Refusal& refusal, const std::string& why) {
  EXPECT_EQ(refusal.code, BERTH_E_CORRUPT) << why << ": " << refusal.message;
  EXPECT_NE(refusal.message.find(kWhere), std::string::npos) << why << ": " << refusal.message;
}

// A zstd frame header declaring `size` bytes of content, then one empty last block: a frame a
// hostile writer can make claim anything.
std::string frame_claiming(uint64_t size) {
  std::string frame = {'\x28', '\xb5', '\x2f', '\xfd', '\xe0'};  // magic; single segment, 8-byte size
  for (int i = 0; i < 8; ++i) frame += static_cast<char>((size >> (8 * i)) & 0xff);
  frame += std::string{'\x01', '\x00', '\x00'};  // last block, raw, 0 bytes
  return frame;
}

// A frame of `size` zeros written as a stream, so its header does not say how large it is:
// a few kilobytes that expand without bound.
std::string bomb_without_size(size_t size) {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0);
  const std::string zeros(size, '\0');
  std::string out(ZSTD_compressBound(size), '\0');
  ZSTD_outBuffer sink{out.data(), out.size(), 0};
  ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
  size_t left = 0;
  do {
    left = ZSTD_compressStream2(ctx, &sink, &in, ZSTD_e_end);
  } while (left != 0 && !ZSTD_isError(left));
  ZSTD_freeCCtx(ctx);
  out.resize(sink.pos);
  return out;
}

TEST(ZkChunkCodecTest, APackedVersionUnpacksToItsBytes) {
  const std::string bytes = test::incompressible_bytes(300u << 10) + std::string(200u << 10, 'a');
  EXPECT_TRUE(unpack_version(Codec::zstd, pack_version(bytes), kWhere) == bytes);
  EXPECT_TRUE(unpack_version(Codec::raw, bytes, kWhere) == bytes);
  EXPECT_EQ(unpack_version(Codec::zstd, pack_version(""), kWhere), "");
}

TEST(ZkChunkCodecTest, AFrameThatHidesItsSizeIsRefusedUndecoded) {
  const std::string bomb = bomb_without_size(size_t{32} << 20);
  ASSERT_LT(bomb.size(), size_t{32} << 10) << "the frame must be a bomb: small, expanding a thousandfold";
  ASSERT_EQ(ZSTD_getFrameContentSize(bomb.data(), bomb.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  const Refusal refusal = refusal_of(Codec::zstd, bomb);
  expect_corrupt_naming_the_node(refusal, "a frame without its size");
  EXPECT_NE(refusal.message.find("does not declare its size"), std::string::npos) << refusal.message;
}

TEST(ZkChunkCodecTest, AFrameClaimingMoreThanTheLimitIsRefused) {
  for (const uint64_t claimed : {kMaxVersionBytes + 1, uint64_t{1} << 62}) {
    const Refusal refusal = refusal_of(Codec::zstd, frame_claiming(claimed));
    expect_corrupt_naming_the_node(refusal, "a claim of " + std::to_string(claimed));
    EXPECT_NE(refusal.message.find(std::to_string(claimed)), std::string::npos) << refusal.message;
  }
}

TEST(ZkChunkCodecTest, AFrameClaimingMoreThanItHoldsIsRefused) {
  expect_corrupt_naming_the_node(refusal_of(Codec::zstd, frame_claiming(4096)), "a claim its blocks do not fill");
}

TEST(ZkChunkCodecTest, ATruncatedFrameIsRefused) {
  const std::string packed = pack_version(test::incompressible_bytes(200u << 10));
  for (const size_t keep : {packed.size() - 1, packed.size() / 2, size_t{6}}) {
    const Refusal refusal = refusal_of(Codec::zstd, packed.substr(0, keep));
    expect_corrupt_naming_the_node(refusal, "kept " + std::to_string(keep) + " of " + std::to_string(packed.size()));
  }
}

TEST(ZkChunkCodecTest, BytesAfterTheFrameAreRefused) {
  const std::string packed = pack_version("a snapshot");
  const Refusal refusal = refusal_of(Codec::zstd, packed + "xyz");
  expect_corrupt_naming_the_node(refusal, "trailing bytes");
  EXPECT_NE(refusal.message.find("3 bytes after"), std::string::npos) << refusal.message;
  expect_corrupt_naming_the_node(refusal_of(Codec::zstd, packed + packed), "a second frame");
}

TEST(ZkChunkCodecTest, ADamagedByteFailsTheChecksum) {
  std::string packed = pack_version(test::incompressible_bytes(1000) + std::string(1000, 'b'));
  packed[packed.size() / 2] = static_cast<char>(packed[packed.size() / 2] ^ 0x10);
  expect_corrupt_naming_the_node(refusal_of(Codec::zstd, packed), "a damaged byte");
}

TEST(ZkChunkCodecTest, AnUnknownCodecIsRefused) {
  const Refusal refusal = refusal_of(static_cast<Codec>(7), pack_version("x"));
  expect_corrupt_naming_the_node(refusal, "codec 7");
  EXPECT_NE(refusal.message.find("unknown codec 7"), std::string::npos) << refusal.message;
}

TEST(ZkChunkCodecTest, EmptyStoredBytesAreRefused) {
  expect_corrupt_naming_the_node(refusal_of(Codec::zstd, ""), "empty input");
}

}  // namespace
}  // namespace berth::zk

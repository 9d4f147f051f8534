#include "engine/intake.h"

#include <bit>
#include <cstring>
#include <limits>

#include "common/error.h"

namespace berth {
namespace {

constexpr std::string_view kMagic = "BI1";

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}

class Cursor {
 public:
  explicit Cursor(std::string_view in) : in_(in) {}
  bool done() const { return pos_ == in_.size(); }
  std::string_view take(size_t n, const char* what) {
    if (in_.size() - pos_ < n) throw Error(BERTH_E_CORRUPT, std::string("intake batch truncated in ") + what);
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint32_t u32(const char* what) {
    auto b = take(4, what);
    return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) | static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 8 |
           static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(b[3])) << 24;
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// The record's common head: op, stream, tenant (or server).
void append_head(std::string& batch, IntakeOp op, std::string_view stream, std::string_view tenant) {
  if (batch.empty()) batch.append(kMagic);
  batch.push_back(static_cast<char>(op));
  put_u32(batch, static_cast<uint32_t>(stream.size()));
  batch.append(stream);
  put_u32(batch, static_cast<uint32_t>(tenant.size()));
  batch.append(tenant);
}

}  // namespace

void append_intake(std::string& batch, IntakeOp op, std::string_view stream, std::string_view tenant, double load) {
  if (op == IntakeOp::release)
    throw Error(BERTH_E_INVALID_ARGUMENT, "a release record carries a token: append_release, not append_intake");
  append_head(batch, op, stream, tenant);
  char bytes[8];
  std::memcpy(bytes, &load, 8);  // IEEE 754, little-endian hosts only (checked at build time)
  batch.append(bytes, 8);
}

void append_release(std::string& batch, std::string_view stream, std::string_view server, uint64_t token) {
  append_head(batch, IntakeOp::release, stream, server);
  char bytes[8];
  std::memcpy(bytes, &token, 8);  // little-endian, as the other integers
  batch.append(bytes, 8);
}

static_assert(std::endian::native == std::endian::little, "intake encoding assumes a little-endian host");

std::vector<IntakeRecord> parse_intake(std::string_view batch) {
  if (batch.substr(0, kMagic.size()) != kMagic) throw Error(BERTH_E_CORRUPT, "intake batch does not start with BI1");
  Cursor in(batch.substr(kMagic.size()));
  std::vector<IntakeRecord> out;
  while (!in.done()) {
    try {
      auto op = static_cast<uint8_t>(in.take(1, "op")[0]);
      if (op < 1 || op > kLastIntakeOp) throw Error(BERTH_E_CORRUPT, "unknown op " + std::to_string(op));
      IntakeRecord r;
      r.op = static_cast<IntakeOp>(op);
      r.stream = in.take(in.u32("stream length"), "stream");
      bool release = r.op == IntakeOp::release;
      r.tenant = in.take(in.u32(release ? "server length" : "tenant length"), release ? "server" : "tenant");
      if (release) {
        std::memcpy(&r.token, in.take(8, "token").data(), 8);
        r.load = std::numeric_limits<double>::quiet_NaN();
      } else {
        std::memcpy(&r.load, in.take(8, "load").data(), 8);
      }
      out.push_back(std::move(r));
    } catch (const Error& e) {
      throw Error(BERTH_E_CORRUPT, "intake record #" + std::to_string(out.size()) + ": " + e.what());
    }
  }
  return out;
}

}  // namespace berth

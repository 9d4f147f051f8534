// Appraiser "static": each stream's load comes from a file an operator (or a tool) maintains,
// "stream-id<whitespace>load" per line (format in load_file.h). Streams the file does not name get
// `default_load`. Reported loads are ignored.
//
// The file is read when the appraiser is created, and read again by the first appraise() call
// after it changes (its size, modification or change time, or inode: an atomic rename counts).
//   - At creation a missing or bad file fails with BERTH_E_CONFIG naming file:line.
//   - Afterwards a refresh never fails because of the file: a bad or unreadable new version is
//     logged once (a warning naming file:line) and the previous table stays in force until the
//     file changes again and reads cleanly.
// A version of the file that changed while being read is read again on the next call (the
// signature compared is the one taken before reading).
//
// Configuration: file = path (required); default_load = a number in [0, 1e9], 1.0 when absent.
#include <string>
#include <utility>

#include "berth/plugin.hpp"
#include "load_file.h"

namespace {

using berth::plugin::Error;
using namespace berth::static_appraiser;

class StaticAppraiser {
 public:
  StaticAppraiser(const berth_host_api* host, berth::plugin::Config& config)
      : host_(host), default_load_(config.number("default_load", 1.0, 0.0, 1e9)) {
    const berth_kv* file = config.find("file", berth::plugin::kString, "a string (a path)");
    if (file == nullptr || file->value[0] == '\0') {
      const berth_kv missing{"file", "", file != nullptr ? file->where : nullptr};
      throw Error(BERTH_E_CONFIG, config.where(missing) + "required: the path of the stream load file");
    }
    path_ = file->value;
    std::string error;
    if (!load(&error)) throw Error(BERTH_E_CONFIG, config.where(*file) + error);
  }

  void appraise(const berth_stream_set& streams, double* out_load) {
    refresh_table();
    if (streams.count > 0 && (streams.id_arena == nullptr || streams.id_offsets == nullptr))
      throw Error(BERTH_E_INVALID_ARGUMENT, "appraise of " + std::to_string(streams.count) + " streams without ids");
    for (uint64_t i = 0; i < streams.count; ++i) {
      const auto it = table_.find(berth::plugin::stream_id(streams, i));
      out_load[i] = it == table_.end() ? default_load_ : it->second;
    }
  }

 private:
  const berth_host_api* host_;
  double default_load_;
  std::string path_;
  LoadTable table_;
  std::optional<FileSignature> tried_;  // the version of the file last read, cleanly or not
  std::string last_problem_;            // the last problem logged, so it is logged once

  // Reads the file into the table if it is readable and well-formed; otherwise leaves the table
  // alone and says why, naming the file (and the line). Records the version it tried.
  bool load(std::string* error) {
    std::optional<FileSignature> signature = signature_of(path_, error);
    if (!signature) {
      tried_.reset();
      return false;
    }
    tried_ = signature;
    std::optional<std::string> text = read_file(path_, error);
    if (!text) return false;
    LoadTable table;
    if (std::optional<ParseError> bad = parse_loads(*text, table)) {
      *error = path_ + ":" + std::to_string(bad->line) + ": " + bad->message;
      return false;
    }
    table_ = std::move(table);
    return true;
  }

  void refresh_table() {
    std::string error;
    std::optional<FileSignature> now = signature_of(path_, &error);
    if (now && tried_ && *now == *tried_) return;  // unchanged since the last read
    if (now) {
      const size_t before = table_.size();
      if (load(&error)) {
        last_problem_.clear();
        berth::plugin::log(host_, BERTH_LOG_INFO,
                           "reloaded " + path_ + ": " + std::to_string(table_.size()) + " stream loads (was " +
                               std::to_string(before) + ")");
        return;
      }
    } else {
      tried_.reset();
    }
    if (error == last_problem_) return;
    last_problem_ = error;
    berth::plugin::log(host_, BERTH_LOG_WARN,
                       "cannot reload stream loads: " + error + "; keeping the " + std::to_string(table_.size()) +
                           " loads read before");
  }
};

}  // namespace

BERTH_DEFINE_APPRAISER_PLUGIN(StaticAppraiser, "static", "1.0.0")

#pragma once
// Small helpers shared by the model subcommands: argument parsing, the default model path,
// token lists. Header-only, no state.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "moe/errors.hpp"

namespace moe::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Walks argv: options with values are taken with value(), the rest are positionals.
class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool next() { return ++i_ < argc_; }
  std::string_view cur() const { return argv_[i_]; }
  bool is(std::string_view a, std::string_view b = {}) const { return cur() == a || (!b.empty() && cur() == b); }
  std::string value() {
    const std::string opt(cur());
    if (++i_ >= argc_) throw UsageError(opt + " needs a value");
    return argv_[i_];
  }
  int int_value() { return to_int(value()); }
  float float_value() {
    const std::string v = value();
    char* end = nullptr;
    const float f = std::strtof(v.c_str(), &end);
    if (end == v.c_str() || *end) throw UsageError("not a number: " + v);
    return f;
  }
  static int to_int(const std::string& v) {
    char* end = nullptr;
    const long x = std::strtol(v.c_str(), &end, 10);
    if (end == v.c_str() || *end || x < -(1L << 30) || x > (1L << 30)) throw UsageError("not an integer: " + v);
    return static_cast<int>(x);
  }

 private:
  int argc_;
  char** argv_;
  int i_ = 0;  // argv[0] is the subcommand
};

// Thrown for -h/--help (empty message) and for bad arguments; see usage_exit().
inline int usage_exit(const char* cmd, const char* usage, const UsageError& e) {
  if (*e.what() == '\0') {
    std::printf("usage: moescope-cli %s %s\n", cmd, usage);
    return 0;
  }
  std::fprintf(stderr, "%s: %s\nusage: moescope-cli %s %s\n", cmd, e.what(), cmd, usage);
  return 2;
}

inline std::vector<int32_t> parse_token_list(const std::string& s) {
  std::vector<int32_t> ids;
  size_t p = 0;
  while (p < s.size()) {
    size_t q = s.find_first_of(", ", p);
    if (q == std::string::npos) q = s.size();
    if (q > p) ids.push_back(Args::to_int(s.substr(p, q - p)));
    p = q + 1;
  }
  if (ids.empty()) throw UsageError("--tokens: no token ids");
  return ids;
}

// The whole file, byte for byte (no newline translation); IoError naming the file otherwise.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path + ": read error");
  return text;
}

// The bundled demo model when MODEL is omitted: beside the executable (share/ next to bin/, as
// the .deb and the portable .tar.gz lay it out), then the source tree's copy, then the
// configured install prefix.
inline std::filesystem::path default_model() {
#if defined(MOESCOPE_DEFAULT_MODEL_SOURCE) && defined(MOESCOPE_DEFAULT_MODEL_INSTALLED)
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path().parent_path() / "share" / "moescope" / "models" /
                        std::filesystem::path(MOESCOPE_DEFAULT_MODEL_INSTALLED).filename();
    if (std::filesystem::exists(beside)) return beside;
  }
  for (const char* p : {MOESCOPE_DEFAULT_MODEL_SOURCE, MOESCOPE_DEFAULT_MODEL_INSTALLED})
    if (std::filesystem::exists(p)) return p;
  throw UsageError(std::string("no MODEL given and the bundled demo model is missing (looked for ") +
                   MOESCOPE_DEFAULT_MODEL_SOURCE + " and " + MOESCOPE_DEFAULT_MODEL_INSTALLED + ")");
#else
  throw UsageError("no MODEL given");
#endif
}

}  // namespace moe::cli

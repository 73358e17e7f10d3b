#pragma once
// A bounds-checked little-endian reader over the file bytes: every read checks the remaining
// length first, so nothing from the file is used as a size or offset unchecked.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "moe/errors.hpp"

namespace moe::gguf_detail {

class Cursor {
 public:
  Cursor(std::span<const std::byte> bytes, const std::string& file) : bytes_(bytes), file_(file) {}

  size_t pos() const noexcept { return pos_; }
  size_t remaining() const noexcept { return bytes_.size() - pos_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw GgufError(file_ + ": " + what + " (at byte offset " + std::to_string(pos_) + ")");
  }

  void need(uint64_t n, const char* what) const {
    if (n > remaining())
      fail(std::string("file truncated while reading ") + what + ": needs " + std::to_string(n) +
           " bytes, " + std::to_string(remaining()) + " left");
  }

  template <class T>
  T read(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));  // unaligned-safe
    pos_ += sizeof(T);
    return v;
  }

  const std::byte* take(uint64_t n, const char* what) {
    need(n, what);
    const std::byte* p = bytes_.data() + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }

  std::string_view read_string(const char* what) {
    const uint64_t len = read<uint64_t>(what);
    need(len, what);
    const char* p = reinterpret_cast<const char*>(bytes_.data() + pos_);
    pos_ += static_cast<size_t>(len);
    return {p, static_cast<size_t>(len)};
  }

  void seek(size_t p) {
    if (p > bytes_.size()) fail("offset beyond end of file");
    pos_ = p;
  }

 private:
  std::span<const std::byte> bytes_;
  const std::string& file_;
  size_t pos_ = 0;
};

}  // namespace moe::gguf_detail

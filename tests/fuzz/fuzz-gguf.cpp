// libFuzzer target: arbitrary bytes through the GGUF reader and everything that walks a parsed
// file. A crash, an ASan/UBSan report, a timeout or an out-of-memory is a finding.
#include <cstddef>
#include <cstdint>
#include <span>

#include "moe/fuzz-entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)moe::fuzz::parse_gguf_bytes(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}

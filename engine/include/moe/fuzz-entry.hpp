#pragma once
// Entry points for fuzzers (libFuzzer, AFL) and crash-reproduction tests: each takes arbitrary
// bytes, must never crash, hang or allocate absurdly, and reports whether the input was accepted.
#include <cstddef>
#include <span>

namespace moe::fuzz {

// Parses `bytes` as a GGUF file and, when it is accepted, walks everything the app looks at:
// every metadata value (displayed, arrays read through the typed helpers), every tensor's
// shape and bytes, and the model summary used by `inspect`. Returns true if the file was
// accepted, false if it was refused with a moe::Error (the expected outcome for bad input).
// Any other exception escapes: that is a bug the fuzzer should report.
bool parse_gguf_bytes(std::span<const std::byte> bytes);

}  // namespace moe::fuzz

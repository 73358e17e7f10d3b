// libFuzzer target: arbitrary bytes parsed and rendered as a chat template (a leading line
// starting with '[' is the messages JSON). A crash, an ASan/UBSan/leak report, a timeout or an
// out-of-memory is a finding. Seeds: the conformance templates.
#include <cstddef>
#include <cstdint>
#include <span>

#include "moe/chat-template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)moe::fuzz::render_template_bytes(std::span<const std::byte>(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}

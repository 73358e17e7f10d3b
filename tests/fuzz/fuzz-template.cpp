// libFuzzer target: arbitrary bytes as a chat template (first line: messages JSON when it starts
// with '['), parsed and rendered in the sandbox with tight limits. A crash, a sanitizer report,
// a hang (libFuzzer -timeout) or runaway memory is a finding; TemplateError is the expected
// outcome for most inputs.
#include <cstddef>
#include <cstdint>

#include "moe/chat-template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return moe_fuzz_template(data, size);
}

// Fuzz entry: parse, then touch everything a consumer of the file would touch, so that a value
// the validator let through but a consumer mishandles is found too.
#include "moe/fuzz-entry.hpp"

#include <string>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"
#include "moe/model-summary.hpp"

namespace moe::fuzz {
namespace {

volatile unsigned g_sink = 0;

// Reads every byte the file claims as tensor data: ASan reports any pointer that escapes the
// input. The sum keeps the reads from being optimised away.
unsigned touch(const TensorInfo& t) {
  unsigned sum = 0;
  for (size_t i = 0; i < t.nbytes; ++i) sum += static_cast<unsigned>(t.data[i]);
  return sum;
}

void walk_value(const GgufFile& f, std::string_view key, const GgufValue& v) {
  (void)v.to_display();
  if (v.type != GgufType::ARRAY) return;
  const GgufArray& a = *std::get<std::shared_ptr<const GgufArray>>(v.v);
  try {
    switch (a.elem_type) {
      case GgufType::STRING: (void)f.get_string_array(key); break;
      case GgufType::ARRAY: for (const GgufValue& n : a.nested) (void)n.to_display(); break;
      case GgufType::BOOL: break;
      case GgufType::F32: case GgufType::F64: (void)f.get_f32_array(key); break;
      default: (void)f.get_i32_array(key); (void)f.get_f32_array(key); break;
    }
  } catch (const GgufError&) {
    // Values that do not fit the requested type are refused with a message: expected.
  }
}

}  // namespace

bool parse_gguf_bytes(std::span<const std::byte> bytes) {
  try {
    const std::shared_ptr<const GgufFile> f = GgufFile::from_memory(bytes, "fuzz-input.gguf");
    for (const auto& [k, v] : f->metadata()) walk_value(*f, k, v);
    unsigned sum = 0;
    for (const TensorInfo& t : f->tensors()) {
      (void)t.shape_string();
      (void)t.row_bytes();
      if (f->find_tensor(t.name) != &t) throw std::logic_error("tensor index is inconsistent");
      sum += touch(t);
    }
    const ModelSummary s = summarize_model(f);
    if (s.tensors.size() != f->tensors().size()) throw std::logic_error("summary lost tensors");
    g_sink = sum;
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace moe::fuzz

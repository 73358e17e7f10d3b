#pragma once
// Helpers shared by the GGUF writer and validation tests: reading files, comparing two parsed
// files value by value, and a small model built with the writer.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "moe/errors.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"

namespace gguf_test {

inline std::filesystem::path shared_dir() { return std::filesystem::path(MOE_SHARED_DIR) / "conformance"; }

inline std::vector<std::byte> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

// "" if equal, else where they differ.
inline std::string value_diff(const moe::GgufValue& a, const moe::GgufValue& b, const std::string& at) {
  if (a.type != b.type)
    return at + ": type " + std::string(moe::gguf_type_name(a.type)) + " vs " + std::string(moe::gguf_type_name(b.type));
  if (a.type != moe::GgufType::ARRAY) {
    if (a.v != b.v) return at + ": " + a.to_display() + " vs " + b.to_display();
    return {};
  }
  const auto& x = *std::get<std::shared_ptr<const moe::GgufArray>>(a.v);
  const auto& y = *std::get<std::shared_ptr<const moe::GgufArray>>(b.v);
  if (x.elem_type != y.elem_type || x.count != y.count) return at + ": array shape " + a.to_display() + " vs " + b.to_display();
  if (x.elem_type == moe::GgufType::STRING) {
    for (size_t i = 0; i < x.strings.size(); ++i)
      if (x.strings[i] != y.strings[i]) return at + "[" + std::to_string(i) + "] differs";
  } else if (x.elem_type == moe::GgufType::ARRAY) {
    for (size_t i = 0; i < x.nested.size(); ++i)
      if (std::string d = value_diff(x.nested[i], y.nested[i], at + "[" + std::to_string(i) + "]"); !d.empty()) return d;
  } else {
    size_t sz = 1;
    switch (x.elem_type) {
      case moe::GgufType::U16: case moe::GgufType::I16: sz = 2; break;
      case moe::GgufType::U32: case moe::GgufType::I32: case moe::GgufType::F32: sz = 4; break;
      case moe::GgufType::U64: case moe::GgufType::I64: case moe::GgufType::F64: sz = 8; break;
      default: break;
    }
    if (x.count && std::memcmp(x.raw, y.raw, static_cast<size_t>(x.count) * sz) != 0) return at + ": array elements differ";
  }
  return {};
}

// "" if both files hold the same keys (same order), values, tensors and tensor bytes.
inline std::string file_diff(const moe::GgufFile& a, const moe::GgufFile& b) {
  if (a.metadata().size() != b.metadata().size())
    return "key count " + std::to_string(a.metadata().size()) + " vs " + std::to_string(b.metadata().size());
  for (size_t i = 0; i < a.metadata().size(); ++i) {
    const auto& [ka, va] = a.metadata()[i];
    const auto& [kb, vb] = b.metadata()[i];
    if (ka != kb) return "key " + std::to_string(i) + ": " + std::string(ka) + " vs " + std::string(kb);
    if (std::string d = value_diff(va, vb, std::string(ka)); !d.empty()) return d;
  }
  if (a.tensors().size() != b.tensors().size()) return "tensor count differs";
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const moe::TensorInfo& x = a.tensors()[i];
    const moe::TensorInfo& y = b.tensors()[i];
    const std::string n(x.name);
    if (x.name != y.name) return "tensor " + std::to_string(i) + " name " + n + " vs " + std::string(y.name);
    if (x.type != y.type) return "tensor " + n + ": type differs";
    if (x.n_dims != y.n_dims || x.shape_string() != y.shape_string())
      return "tensor " + n + ": shape " + x.shape_string() + " vs " + y.shape_string();
    if (x.nbytes != y.nbytes || std::memcmp(x.data, y.data, x.nbytes) != 0) return "tensor " + n + ": bytes differ";
  }
  return {};
}

inline std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng() & 0xFF);
  return out;
}

// A small but complete file: every value type, nested and string arrays, four tensors of
// different types. Used as the base of every crafted bad file.
inline moe::GgufWriter sample_writer() {
  using V = moe::GgufWriteValue;
  using moe::GgufType;
  moe::GgufWriter w;
  w.set("general.architecture", V::string("qwen2moe"));
  w.set_alignment(32);
  w.set("general.name", V::string("sample \xc3\xa9\xe2\x86\x92 model"));
  w.set("test.u8", V::u8(200));
  w.set("test.i8", V::i8(-100));
  w.set("test.u16", V::u16(60000));
  w.set("test.i16", V::i16(-30000));
  w.set("test.u32", V::u32(4000000000u));
  w.set("test.i32", V::i32(-2000000000));
  w.set("test.u64", V::u64(uint64_t{1} << 60));
  w.set("test.i64", V::i64(-(int64_t{1} << 60)));
  w.set("test.f32", V::f32(0.15625f));
  w.set("test.f64", V::f64(-2.5e-300));
  w.set("test.bool", V::boolean(true));
  w.set("test.empty_string", V::string(""));
  w.set("test.i32_array", V::array(GgufType::I32, {V::i32(1), V::i32(-2), V::i32(3)}));
  w.set("test.empty_array", V::array(GgufType::F32, {}));
  w.set("test.bool_array", V::array(GgufType::BOOL, {V::boolean(true), V::boolean(false)}));
  w.set("test.string_array", V::string_array({"a", "", "\xe4\xb8\xad", "long string with spaces"}));
  w.set("test.nested", V::array(GgufType::ARRAY, {V::array(GgufType::U8, {V::u8(1), V::u8(2)}),
                                                  V::array(GgufType::STRING, {V::string("x")}),
                                                  V::array(GgufType::ARRAY, {V::array(GgufType::I64, {V::i64(-7)})})}));
  w.set("qwen2moe.block_count", V::u32(1));
  w.set("qwen2moe.expert_count", V::u32(4));
  w.set("qwen2moe.expert_used_count", V::u32(2));
  w.set("tokenizer.ggml.model", V::string("gpt2"));
  w.set("tokenizer.ggml.tokens", V::string_array({"a", "b", "<s>"}));
  w.set("tokenizer.ggml.bos_token_id", V::u32(2));
  const int64_t emb[] = {32, 3};
  w.add_tensor("token_embd.weight", moe::kern::GgmlType::F16, emb, random_bytes(32 * 3 * 2, 1));
  const int64_t norm[] = {32};
  w.add_tensor("blk.0.attn_norm.weight", moe::kern::GgmlType::F32, norm, random_bytes(32 * 4, 2));
  const int64_t exps[] = {64, 8, 4};
  w.add_tensor("blk.0.ffn_gate_exps.weight", moe::kern::GgmlType::Q8_0, exps, random_bytes(2 * 34 * 8 * 4, 3));
  const int64_t kq[] = {256, 2};
  w.add_tensor("blk.0.ffn_down_shexp.weight", moe::kern::GgmlType::Q4_K, kq, random_bytes(2 * 144, 4));
  return w;
}

}  // namespace gguf_test

#pragma once
// GGUF v3 writer: metadata of every value type (nested arrays and string arrays included) and
// tensors as raw bytes, laid out exactly as GgufFile reads them back. Used by tools that
// re-write models and by the tests that craft valid and deliberately broken files.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/kernels/ggml-types.hpp"

namespace moe {

// An owning metadata value (GgufValue points into a mapping; this one holds its data).
struct GgufWriteValue {
  struct Array {
    GgufType elem_type = GgufType::U8;
    std::vector<GgufWriteValue> items;  // each item has type == elem_type
  };

  GgufType type = GgufType::U8;
  std::variant<uint64_t, int64_t, double, bool, std::string, std::shared_ptr<const Array>> v;

  static GgufWriteValue u8(uint8_t x) { return {GgufType::U8, uint64_t{x}}; }
  static GgufWriteValue i8(int8_t x) { return {GgufType::I8, int64_t{x}}; }
  static GgufWriteValue u16(uint16_t x) { return {GgufType::U16, uint64_t{x}}; }
  static GgufWriteValue i16(int16_t x) { return {GgufType::I16, int64_t{x}}; }
  static GgufWriteValue u32(uint32_t x) { return {GgufType::U32, uint64_t{x}}; }
  static GgufWriteValue i32(int32_t x) { return {GgufType::I32, int64_t{x}}; }
  static GgufWriteValue u64(uint64_t x) { return {GgufType::U64, x}; }
  static GgufWriteValue i64(int64_t x) { return {GgufType::I64, x}; }
  static GgufWriteValue f32(float x) { return {GgufType::F32, double{x}}; }
  static GgufWriteValue f64(double x) { return {GgufType::F64, x}; }
  static GgufWriteValue boolean(bool x) { return {GgufType::BOOL, x}; }
  static GgufWriteValue string(std::string s) { return {GgufType::STRING, std::move(s)}; }
  // All items must have type `elem_type`; throws GgufError otherwise.
  static GgufWriteValue array(GgufType elem_type, std::vector<GgufWriteValue> items);
  static GgufWriteValue string_array(const std::vector<std::string>& items);

  // A deep copy of a value read from a file (arrays and strings included).
  static GgufWriteValue from(const GgufValue& read);
};

// Byte offsets of every section of a written file: where the tests cut and patch.
struct GgufLayout {
  size_t header_end = 0;                  // magic, version, tensor count, kv count (24 bytes)
  std::vector<size_t> kv_offsets;         // start of each key/value pair
  std::vector<size_t> kv_value_offsets;   // start of each value's type field
  std::vector<size_t> tensor_info_offsets;
  size_t tensor_infos_end = 0;            // end of the last tensor info = start of padding
  size_t data_offset = 0;                 // start of the data section (aligned; = file end without tensors)
  std::vector<size_t> tensor_data_offsets;  // absolute offset of each tensor's bytes
  size_t file_size = 0;
};

class GgufWriter {
 public:
  GgufWriter() = default;

  // Sets (or replaces, keeping its position) a metadata key. Keys must be non-empty UTF-8
  // without NUL bytes. Setting general.alignment to a u32 power of two changes the layout.
  void set(std::string key, GgufWriteValue value);
  void remove(std::string_view key);
  // Alignment of the data section and of each tensor (stored as general.alignment, u32).
  // Without a call the alignment is 32 and no key is written: readers default to 32, and
  // llama.cpp's writer does the same, so re-written llama.cpp files stay byte-identical.
  void set_alignment(uint32_t alignment);
  uint32_t alignment() const noexcept { return alignment_; }

  // Adds a tensor. dims: 1 to 4 sizes, innermost first (ggml's ne). `data` must hold exactly
  // the tensor's byte size for `type`; throws GgufError otherwise.
  void add_tensor(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                  std::vector<std::byte> data);
  // The same without a copy: `data` must stay valid until the last to_bytes()/write_file().
  void add_tensor_view(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                       std::span<const std::byte> data);

  // Copies every key (except general.alignment unless `keep_alignment`) and every tensor of
  // `src`. Tensor bytes are not copied: the writer keeps `src` (and its mapping) alive.
  void copy_from(std::shared_ptr<const GgufFile> src, bool keep_alignment = true);

  size_t kv_count() const noexcept { return kv_.size(); }
  size_t tensor_count() const noexcept { return tensors_.size(); }

  // Serialises the file. `layout` (optional) receives the offsets of every section.
  std::vector<std::byte> to_bytes(GgufLayout* layout = nullptr) const;
  // Writes `path` atomically: a temporary file in the same folder, fsync, then rename. Tensor
  // bytes are streamed, never gathered in memory. Throws IoError naming the file on any
  // failure (the temporary is removed).
  void write_file(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    kern::GgmlType type;
    std::vector<int64_t> dims;
    std::vector<std::byte> owned;      // add_tensor: the bytes themselves
    std::span<const std::byte> view;   // add_tensor_view / copy_from: borrowed bytes
    std::span<const std::byte> bytes() const noexcept { return owned.empty() ? view : std::span<const std::byte>(owned); }
  };

  void add_tensor_impl(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                       std::span<const std::byte> data, std::vector<std::byte> owned);
  std::vector<std::byte> header_bytes(GgufLayout& layout) const;  // up to the data section

  std::vector<std::pair<std::string, GgufWriteValue>> kv_;
  std::vector<Tensor> tensors_;
  std::vector<std::shared_ptr<const GgufFile>> sources_;  // keep copy_from's views valid
  uint32_t alignment_ = 32;
};

}  // namespace moe

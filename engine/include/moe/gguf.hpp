#pragma once
// GGUF v2/v3 reader: the file is memory-mapped and fully validated before anything in it is
// used as a size or an offset. All string_views and tensor data pointers point into the
// mapping and live as long as the GgufFile.
//
// Refused with a GgufError "<file>: <field or tensor>: <problem>":
//  - bad magic, version 1 (32-bit counts), versions other than 2 and 3, byte-swapped (big-
//    endian) headers;
//  - tensor / key counts, string lengths and array lengths that cannot fit in the rest of
//    the file (checked before any allocation; up-front reservations are capped as well);
//  - unknown value or array element types, bools other than 0/1, arrays nested > 8 deep;
//  - metadata keys and tensor names that are empty, contain NUL or are not valid UTF-8 (names
//    are identifiers: such bytes only come from corruption); duplicate keys or tensor names.
//    String *values* may hold any bytes (some vocabularies store raw byte pieces);
//  - general.alignment that is not a u32 power of two up to 65536;
//  - tensors with 0 or more than 4 dimensions, a dimension of 0 or above 2^40, more than 2^50
//    elements, a row length that is not a whole number of blocks, an unknown type id, an
//    offset not aligned, data outside the data section, or data overlapping another tensor.
// Not detected: a file truncated or rewritten by another process while mapped (SIGBUS).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "moe/kernels/ggml-types.hpp"

namespace moe {

enum class GgufType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, U64 = 10, I64 = 11, F64 = 12,
};
std::string_view gguf_type_name(GgufType t) noexcept;

struct GgufValue;

// An array value. Fixed-size elements stay in the mapping (`raw`); strings and nested arrays
// are indexed once at load.
struct GgufArray {
  GgufType elem_type = GgufType::U8;
  uint64_t count = 0;
  const std::byte* raw = nullptr;              // fixed-size elements, little-endian
  std::vector<std::string_view> strings;       // elem_type == STRING
  std::vector<GgufValue> nested;               // elem_type == ARRAY
};

struct GgufValue {
  GgufType type = GgufType::U8;
  std::variant<uint64_t, int64_t, double, bool, std::string_view, std::shared_ptr<const GgufArray>> v;

  bool is_integer() const noexcept;
  bool is_float() const noexcept { return type == GgufType::F32 || type == GgufType::F64; }
  std::string to_display(size_t max_items = 8) const;  // for inspect / UI
};

struct TensorInfo {
  std::string_view name;
  kern::GgmlType type = kern::GgmlType::F32;
  uint32_t n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};    // ne[0] is the innermost (contiguous) dimension
  uint64_t offset = 0;             // relative to the data section
  size_t nbytes = 0;
  const std::byte* data = nullptr;

  int64_t n_elements() const noexcept { return ne[0] * ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const noexcept { return nbytes / static_cast<size_t>(ne[1] * ne[2] * ne[3]); }
  std::string shape_string() const;  // "[256, 1024]"
};

class GgufFile {
 public:
  // Maps and validates a file; throws GgufError naming the file and the problem.
  static std::shared_ptr<const GgufFile> open(const std::filesystem::path& path);
  // Parses bytes already in memory (tests, fuzzing); `bytes` must outlive the result.
  static std::shared_ptr<const GgufFile> from_memory(std::span<const std::byte> bytes,
                                                     std::string display_name);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& name() const noexcept { return name_; }  // path or display name
  uint32_t version() const noexcept { return version_; }
  uint32_t alignment() const noexcept { return alignment_; }
  size_t file_size() const noexcept { return bytes_.size(); }
  size_t data_offset() const noexcept { return data_offset_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string_view, GgufValue>>& metadata() const noexcept { return kv_; }
  const GgufValue* find(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept { return find(key) != nullptr; }

  // Typed accessors: throw GgufError "<file>: <key>: expected u32, found string" or "missing".
  uint32_t get_u32(std::string_view key) const;
  uint64_t get_u64(std::string_view key) const;
  int64_t get_i64(std::string_view key) const;
  float get_f32(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string_view get_string(std::string_view key) const;
  const GgufArray& get_array(std::string_view key) const;
  std::optional<uint32_t> opt_u32(std::string_view key) const;
  std::optional<float> opt_f32(std::string_view key) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  std::optional<std::string_view> opt_string(std::string_view key) const;

  // Array helpers (checked element type; numbers convert when exact).
  std::vector<std::string_view> get_string_array(std::string_view key) const;
  std::vector<float> get_f32_array(std::string_view key) const;
  std::vector<int32_t> get_i32_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const noexcept { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const noexcept;

 private:
  GgufFile() = default;
  void parse();

  std::string name_;
  std::span<const std::byte> bytes_;
  void* map_ = nullptr;
  size_t map_len_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  size_t data_offset_ = 0;
  std::vector<std::pair<std::string_view, GgufValue>> kv_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace moe

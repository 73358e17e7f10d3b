// Typed metadata accessors: a wrong type or a missing key is an error naming the key.
#include <cmath>
#include <cstring>
#include <limits>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"

namespace moe {
namespace {

template <class T>
T load_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Element i of a fixed-size numeric array as double (exact for every type up to 2^53).
double array_number(const GgufArray& a, uint64_t i) {
  switch (a.elem_type) {
    case GgufType::U8: return load_le<uint8_t>(a.raw + i);
    case GgufType::I8: return load_le<int8_t>(a.raw + i);
    case GgufType::U16: return load_le<uint16_t>(a.raw + 2 * i);
    case GgufType::I16: return load_le<int16_t>(a.raw + 2 * i);
    case GgufType::U32: return load_le<uint32_t>(a.raw + 4 * i);
    case GgufType::I32: return load_le<int32_t>(a.raw + 4 * i);
    case GgufType::F32: return load_le<float>(a.raw + 4 * i);
    case GgufType::U64: return static_cast<double>(load_le<uint64_t>(a.raw + 8 * i));
    case GgufType::I64: return static_cast<double>(load_le<int64_t>(a.raw + 8 * i));
    case GgufType::F64: return load_le<double>(a.raw + 8 * i);
    case GgufType::BOOL: return load_le<uint8_t>(a.raw + i);
    default: return 0.0;
  }
}

}  // namespace

std::string_view gguf_type_name(GgufType t) noexcept {
  switch (t) {
    case GgufType::U8: return "u8";
    case GgufType::I8: return "i8";
    case GgufType::U16: return "u16";
    case GgufType::I16: return "i16";
    case GgufType::U32: return "u32";
    case GgufType::I32: return "i32";
    case GgufType::F32: return "f32";
    case GgufType::BOOL: return "bool";
    case GgufType::STRING: return "string";
    case GgufType::ARRAY: return "array";
    case GgufType::U64: return "u64";
    case GgufType::I64: return "i64";
    case GgufType::F64: return "f64";
  }
  return "unknown";
}

bool GgufValue::is_integer() const noexcept {
  switch (type) {
    case GgufType::U8: case GgufType::I8: case GgufType::U16: case GgufType::I16:
    case GgufType::U32: case GgufType::I32: case GgufType::U64: case GgufType::I64: return true;
    default: return false;
  }
}

std::string GgufValue::to_display(size_t max_items) const {
  switch (type) {
    case GgufType::STRING: {
      std::string s(std::get<std::string_view>(v));
      if (s.size() > 80) s = s.substr(0, 77) + "...";
      return "\"" + s + "\"";
    }
    case GgufType::BOOL: return std::get<bool>(v) ? "true" : "false";
    case GgufType::F32: case GgufType::F64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", std::get<double>(v));
      return buf;
    }
    case GgufType::ARRAY: {
      const GgufArray& a = *std::get<std::shared_ptr<const GgufArray>>(v);
      // Appends instead of "literal" + std::string&&: GCC 12 at -O3 reports a false -Wrestrict
      // on that form (GCC bug 105329).
      std::string out = "[";
      out.append(gguf_type_name(a.elem_type)).append(" x ").append(std::to_string(a.count)).append("]");
      if (a.elem_type == GgufType::STRING && max_items > 0 && a.count > 0)
        out.append(" \"").append(a.strings[0].substr(0, 24)).append("\", ...");
      return out;
    }
    default:
      if (std::holds_alternative<uint64_t>(v)) return std::to_string(std::get<uint64_t>(v));
      return std::to_string(std::get<int64_t>(v));
  }
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (uint32_t d = 0; d < n_dims; ++d) s.append(d ? ", " : "").append(std::to_string(ne[d]));
  return s + "]";
}

namespace {

[[noreturn]] void wrong_type(const GgufFile& f, std::string_view key, const char* want, GgufType got) {
  throw GgufError(f.name() + ": " + std::string(key) + ": expected " + want + ", found " +
                  std::string(gguf_type_name(got)));
}

const GgufValue& require(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.find(key);
  if (!v) throw GgufError(f.name() + ": missing metadata key '" + std::string(key) + "'");
  return *v;
}

// Integer value converted to [lo, hi] or an error naming the key.
template <class T>
T integer_in_range(const GgufFile& f, std::string_view key, const GgufValue& v, const char* want) {
  if (!v.is_integer()) wrong_type(f, key, want, v.type);
  if (std::holds_alternative<uint64_t>(v.v)) {
    const uint64_t u = std::get<uint64_t>(v.v);
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
      throw GgufError(f.name() + ": " + std::string(key) + ": value " + std::to_string(u) + " does not fit " + want);
    return static_cast<T>(u);
  }
  const int64_t s = std::get<int64_t>(v.v);
  if (s < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
      (s > 0 && static_cast<uint64_t>(s) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
    throw GgufError(f.name() + ": " + std::string(key) + ": value " + std::to_string(s) + " does not fit " + want);
  return static_cast<T>(s);
}

}  // namespace

uint32_t GgufFile::get_u32(std::string_view key) const {
  return integer_in_range<uint32_t>(*this, key, require(*this, key), "u32");
}
uint64_t GgufFile::get_u64(std::string_view key) const {
  return integer_in_range<uint64_t>(*this, key, require(*this, key), "u64");
}
int64_t GgufFile::get_i64(std::string_view key) const {
  return integer_in_range<int64_t>(*this, key, require(*this, key), "i64");
}

float GgufFile::get_f32(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.is_float()) return static_cast<float>(std::get<double>(v.v));
  if (v.is_integer()) return static_cast<float>(get_i64(key));
  wrong_type(*this, key, "f32", v.type);
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::BOOL) wrong_type(*this, key, "bool", v.type);
  return std::get<bool>(v.v);
}

std::string_view GgufFile::get_string(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::STRING) wrong_type(*this, key, "string", v.type);
  return std::get<std::string_view>(v.v);
}

const GgufArray& GgufFile::get_array(std::string_view key) const {
  const GgufValue& v = require(*this, key);
  if (v.type != GgufType::ARRAY) wrong_type(*this, key, "array", v.type);
  return *std::get<std::shared_ptr<const GgufArray>>(v.v);
}

std::optional<uint32_t> GgufFile::opt_u32(std::string_view key) const {
  return has(key) ? std::optional(get_u32(key)) : std::nullopt;
}
std::optional<float> GgufFile::opt_f32(std::string_view key) const {
  return has(key) ? std::optional(get_f32(key)) : std::nullopt;
}
std::optional<bool> GgufFile::opt_bool(std::string_view key) const {
  return has(key) ? std::optional(get_bool(key)) : std::nullopt;
}
std::optional<std::string_view> GgufFile::opt_string(std::string_view key) const {
  return has(key) ? std::optional(get_string(key)) : std::nullopt;
}

std::vector<std::string_view> GgufFile::get_string_array(std::string_view key) const {
  const GgufArray& a = get_array(key);
  if (a.elem_type != GgufType::STRING)
    throw GgufError(name_ + ": " + std::string(key) + ": expected array of string, found array of " +
                    std::string(gguf_type_name(a.elem_type)));
  return a.strings;
}

std::vector<float> GgufFile::get_f32_array(std::string_view key) const {
  const GgufArray& a = get_array(key);
  if (a.elem_type == GgufType::STRING || a.elem_type == GgufType::ARRAY || a.elem_type == GgufType::BOOL)
    throw GgufError(name_ + ": " + std::string(key) + ": expected array of f32, found array of " +
                    std::string(gguf_type_name(a.elem_type)));
  std::vector<float> out(static_cast<size_t>(a.count));
  for (uint64_t i = 0; i < a.count; ++i) out[i] = static_cast<float>(array_number(a, i));
  return out;
}

std::vector<int32_t> GgufFile::get_i32_array(std::string_view key) const {
  const GgufArray& a = get_array(key);
  if (a.elem_type == GgufType::STRING || a.elem_type == GgufType::ARRAY || a.elem_type == GgufType::F32 ||
      a.elem_type == GgufType::F64 || a.elem_type == GgufType::BOOL)
    throw GgufError(name_ + ": " + std::string(key) + ": expected array of i32, found array of " +
                    std::string(gguf_type_name(a.elem_type)));
  std::vector<int32_t> out(static_cast<size_t>(a.count));
  for (uint64_t i = 0; i < a.count; ++i) {
    const double d = array_number(a, i);
    if (d < std::numeric_limits<int32_t>::min() || d > std::numeric_limits<int32_t>::max())
      throw GgufError(name_ + ": " + std::string(key) + ": element " + std::to_string(i) + " does not fit i32");
    out[i] = static_cast<int32_t>(d);
  }
  return out;
}

}  // namespace moe

// GGUF v3 writer. The layout mirrors the reader: header, key/value pairs, tensor infos,
// zero padding to the alignment, then each tensor's bytes at an aligned offset.
#include "moe/gguf-writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <bit>
#include <random>

#include "gguf-text.hpp"
#include "moe/errors.hpp"

namespace moe {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kVersion = 3;
constexpr std::string_view kAlignmentKey = "general.alignment";

size_t align_up(size_t x, size_t a) { return (x + a - 1) / a * a; }

class Out {
 public:
  explicit Out(std::vector<std::byte>& b) : b_(b) {}
  template <class T>
  void put(T v) {
    const size_t at = b_.size();
    b_.resize(at + sizeof(T));
    std::memcpy(b_.data() + at, &v, sizeof(T));  // host is little-endian (checked below)
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    const size_t at = b_.size();
    b_.resize(at + s.size());
    if (!s.empty()) std::memcpy(b_.data() + at, s.data(), s.size());
  }
  void pad_to(size_t alignment) { b_.resize(align_up(b_.size(), alignment), std::byte{0}); }
  size_t size() const noexcept { return b_.size(); }

 private:
  std::vector<std::byte>& b_;
};

static_assert(std::endian::native == std::endian::little, "the writer stores host-order numbers");

void put_payload(Out& o, const GgufWriteValue& v) {
  switch (v.type) {
    case GgufType::U8: o.put<uint8_t>(static_cast<uint8_t>(std::get<uint64_t>(v.v))); break;
    case GgufType::U16: o.put<uint16_t>(static_cast<uint16_t>(std::get<uint64_t>(v.v))); break;
    case GgufType::U32: o.put<uint32_t>(static_cast<uint32_t>(std::get<uint64_t>(v.v))); break;
    case GgufType::U64: o.put<uint64_t>(std::get<uint64_t>(v.v)); break;
    case GgufType::I8: o.put<int8_t>(static_cast<int8_t>(std::get<int64_t>(v.v))); break;
    case GgufType::I16: o.put<int16_t>(static_cast<int16_t>(std::get<int64_t>(v.v))); break;
    case GgufType::I32: o.put<int32_t>(static_cast<int32_t>(std::get<int64_t>(v.v))); break;
    case GgufType::I64: o.put<int64_t>(std::get<int64_t>(v.v)); break;
    case GgufType::F32: o.put<float>(static_cast<float>(std::get<double>(v.v))); break;
    case GgufType::F64: o.put<double>(std::get<double>(v.v)); break;
    case GgufType::BOOL: o.put<uint8_t>(std::get<bool>(v.v) ? 1 : 0); break;
    case GgufType::STRING: o.put_string(std::get<std::string>(v.v)); break;
    case GgufType::ARRAY: {
      const auto& a = *std::get<std::shared_ptr<const GgufWriteValue::Array>>(v.v);
      o.put<uint32_t>(static_cast<uint32_t>(a.elem_type));
      o.put<uint64_t>(a.items.size());
      for (const GgufWriteValue& item : a.items) put_payload(o, item);
      break;
    }
  }
}

// The variant alternative each type must hold; a mismatch would write garbage.
bool holds_expected(const GgufWriteValue& v) {
  switch (v.type) {
    case GgufType::U8: case GgufType::U16: case GgufType::U32: case GgufType::U64:
      return std::holds_alternative<uint64_t>(v.v);
    case GgufType::I8: case GgufType::I16: case GgufType::I32: case GgufType::I64:
      return std::holds_alternative<int64_t>(v.v);
    case GgufType::F32: case GgufType::F64: return std::holds_alternative<double>(v.v);
    case GgufType::BOOL: return std::holds_alternative<bool>(v.v);
    case GgufType::STRING: return std::holds_alternative<std::string>(v.v);
    case GgufType::ARRAY: return std::holds_alternative<std::shared_ptr<const GgufWriteValue::Array>>(v.v) &&
                                 std::get<std::shared_ptr<const GgufWriteValue::Array>>(v.v) != nullptr;
  }
  return false;
}

template <class T>
T load_le(const std::byte* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}

GgufWriteValue fixed_element(GgufType t, const std::byte* p) {
  switch (t) {
    case GgufType::U8: return GgufWriteValue::u8(load_le<uint8_t>(p));
    case GgufType::I8: return GgufWriteValue::i8(load_le<int8_t>(p));
    case GgufType::U16: return GgufWriteValue::u16(load_le<uint16_t>(p));
    case GgufType::I16: return GgufWriteValue::i16(load_le<int16_t>(p));
    case GgufType::U32: return GgufWriteValue::u32(load_le<uint32_t>(p));
    case GgufType::I32: return GgufWriteValue::i32(load_le<int32_t>(p));
    case GgufType::U64: return GgufWriteValue::u64(load_le<uint64_t>(p));
    case GgufType::I64: return GgufWriteValue::i64(load_le<int64_t>(p));
    case GgufType::F32: return GgufWriteValue::f32(load_le<float>(p));
    case GgufType::F64: return GgufWriteValue::f64(load_le<double>(p));
    case GgufType::BOOL: return GgufWriteValue::boolean(load_le<uint8_t>(p) != 0);
    default: throw GgufError("gguf writer: not a fixed-size type");
  }
}

size_t fixed_bytes(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    default: return 8;
  }
}

}  // namespace

GgufWriteValue GgufWriteValue::array(GgufType elem_type, std::vector<GgufWriteValue> items) {
  for (size_t i = 0; i < items.size(); ++i)
    if (items[i].type != elem_type || !holds_expected(items[i]))
      throw GgufError("gguf writer: array of " + std::string(gguf_type_name(elem_type)) + ": item " +
                      std::to_string(i) + " is a " + std::string(gguf_type_name(items[i].type)));
  auto a = std::make_shared<Array>();
  a->elem_type = elem_type;
  a->items = std::move(items);
  return {GgufType::ARRAY, std::shared_ptr<const Array>(std::move(a))};
}

GgufWriteValue GgufWriteValue::string_array(const std::vector<std::string>& items) {
  std::vector<GgufWriteValue> v;
  v.reserve(items.size());
  for (const std::string& s : items) v.push_back(string(s));
  return array(GgufType::STRING, std::move(v));
}

GgufWriteValue GgufWriteValue::from(const GgufValue& r) {
  switch (r.type) {
    case GgufType::STRING: return string(std::string(std::get<std::string_view>(r.v)));
    case GgufType::BOOL: return boolean(std::get<bool>(r.v));
    case GgufType::F32: return {GgufType::F32, std::get<double>(r.v)};
    case GgufType::F64: return f64(std::get<double>(r.v));
    case GgufType::ARRAY: {
      const GgufArray& a = *std::get<std::shared_ptr<const GgufArray>>(r.v);
      std::vector<GgufWriteValue> items;
      items.reserve(static_cast<size_t>(a.count));
      if (a.elem_type == GgufType::STRING) {
        for (std::string_view s : a.strings) items.push_back(string(std::string(s)));
      } else if (a.elem_type == GgufType::ARRAY) {
        for (const GgufValue& n : a.nested) items.push_back(from(n));
      } else {
        const size_t sz = fixed_bytes(a.elem_type);
        for (uint64_t i = 0; i < a.count; ++i) items.push_back(fixed_element(a.elem_type, a.raw + i * sz));
      }
      return array(a.elem_type, std::move(items));
    }
    default:
      return std::holds_alternative<uint64_t>(r.v) ? GgufWriteValue{r.type, std::get<uint64_t>(r.v)}
                                                   : GgufWriteValue{r.type, std::get<int64_t>(r.v)};
  }
}

void GgufWriter::set(std::string key, GgufWriteValue value) {
  if (const std::string why = gguf_detail::name_problem(key); !why.empty())
    throw GgufError("gguf writer: key '" + gguf_detail::printable(key) + "': " + why);
  if (!holds_expected(value))
    throw GgufError("gguf writer: key '" + key + "': value does not hold a " +
                    std::string(gguf_type_name(value.type)));
  if (key == kAlignmentKey) {
    const uint64_t* a = std::get_if<uint64_t>(&value.v);
    if (value.type != GgufType::U32 || !a || *a == 0 || (*a & (*a - 1)) != 0 || *a > 65536)
      throw GgufError("gguf writer: general.alignment must be a u32 power of two up to 65536");
    alignment_ = static_cast<uint32_t>(*a);
  }
  for (auto& [k, v] : kv_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  kv_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::remove(std::string_view key) {
  std::erase_if(kv_, [&](const auto& kv) { return kv.first == key; });
  if (key == kAlignmentKey) alignment_ = 32;
}

void GgufWriter::set_alignment(uint32_t alignment) { set(std::string(kAlignmentKey), GgufWriteValue::u32(alignment)); }

void GgufWriter::add_tensor(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                            std::vector<std::byte> data) {
  const std::span<const std::byte> view(data);
  add_tensor_impl(std::move(name), type, dims, view, std::move(data));
}

void GgufWriter::add_tensor_view(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                                 std::span<const std::byte> data) {
  add_tensor_impl(std::move(name), type, dims, data, {});
}

void GgufWriter::add_tensor_impl(std::string name, kern::GgmlType type, std::span<const int64_t> dims,
                                 std::span<const std::byte> data, std::vector<std::byte> owned) {
  const std::string who = "gguf writer: tensor '" + gguf_detail::printable(name) + "': ";
  if (const std::string why = gguf_detail::name_problem(name); !why.empty()) throw GgufError(who + why);
  for (const Tensor& t : tensors_)
    if (t.name == name) throw GgufError(who + "duplicate tensor name");
  if (dims.empty() || dims.size() > 4) throw GgufError(who + std::to_string(dims.size()) + " dimensions (1 to 4 allowed)");
  const auto tt = kern::type_traits(static_cast<uint32_t>(type));
  if (!tt) throw GgufError(who + "unknown tensor type");
  int64_t n = 1;
  for (const int64_t d : dims) {
    if (d <= 0 || d > (int64_t{1} << 40)) throw GgufError(who + "dimension " + std::to_string(d) + " out of range");
    if (n > (int64_t{1} << 50) / d) throw GgufError(who + "element count overflows");
    n *= d;
  }
  if (dims[0] % tt->block_elems != 0)
    throw GgufError(who + "row length " + std::to_string(dims[0]) + " is not a multiple of the " +
                    std::string(tt->name) + " block size");
  const size_t nbytes = static_cast<size_t>(n / tt->block_elems) * tt->block_bytes;
  if (data.size() != nbytes)
    throw GgufError(who + std::to_string(data.size()) + " bytes given, " + std::to_string(nbytes) + " needed");
  Tensor t{std::move(name), type, std::vector<int64_t>(dims.begin(), dims.end()), std::move(owned), {}};
  if (t.owned.empty()) t.view = data;  // borrowed; owned bytes are reached through bytes()
  tensors_.push_back(std::move(t));
}

void GgufWriter::copy_from(std::shared_ptr<const GgufFile> src, bool keep_alignment) {
  if (!src) throw GgufError("gguf writer: copy_from without a file");
  for (const auto& [k, v] : src->metadata()) {
    if (k == kAlignmentKey && !keep_alignment) continue;
    set(std::string(k), GgufWriteValue::from(v));
  }
  for (const TensorInfo& t : src->tensors())
    add_tensor_view(std::string(t.name), t.type, std::span<const int64_t>(t.ne, t.n_dims), {t.data, t.nbytes});
  sources_.push_back(std::move(src));  // the views above point into its mapping
}

std::vector<std::byte> GgufWriter::header_bytes(GgufLayout& l) const {
  l = GgufLayout{};
  std::vector<std::byte> bytes;
  Out o(bytes);
  o.put<uint32_t>(kMagic);
  o.put<uint32_t>(kVersion);
  o.put<uint64_t>(tensors_.size());
  o.put<uint64_t>(kv_.size());
  l.header_end = o.size();
  for (const auto& [k, v] : kv_) {
    l.kv_offsets.push_back(o.size());
    o.put_string(k);
    l.kv_value_offsets.push_back(o.size());
    o.put<uint32_t>(static_cast<uint32_t>(v.type));
    put_payload(o, v);
  }
  // Offsets relative to the data section: each tensor starts at the next aligned position.
  std::vector<size_t> rel;
  size_t next = 0;
  for (const Tensor& t : tensors_) {
    rel.push_back(next);
    next = align_up(next + t.bytes().size(), alignment_);
  }
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    l.tensor_info_offsets.push_back(o.size());
    o.put_string(t.name);
    o.put<uint32_t>(static_cast<uint32_t>(t.dims.size()));
    for (const int64_t d : t.dims) o.put<uint64_t>(static_cast<uint64_t>(d));
    o.put<uint32_t>(static_cast<uint32_t>(t.type));
    o.put<uint64_t>(rel[i]);
  }
  l.tensor_infos_end = o.size();
  // Without tensors llama.cpp writes no padding (its vocabulary files end right here).
  if (!tensors_.empty()) o.pad_to(alignment_);
  l.data_offset = o.size();
  // Each tensor starts aligned and the file ends aligned, as ggml writes it.
  for (size_t i = 0; i < tensors_.size(); ++i) l.tensor_data_offsets.push_back(l.data_offset + rel[i]);
  l.file_size = l.data_offset + next;
  return bytes;
}

std::vector<std::byte> GgufWriter::to_bytes(GgufLayout* layout) const {
  GgufLayout l;
  std::vector<std::byte> bytes = header_bytes(l);
  bytes.resize(l.file_size, std::byte{0});
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const std::span<const std::byte> b = tensors_[i].bytes();
    if (!b.empty()) std::memcpy(bytes.data() + l.tensor_data_offsets[i], b.data(), b.size());
  }
  if (layout) *layout = std::move(l);
  return bytes;
}

void GgufWriter::write_file(const std::filesystem::path& path) const {
  // Streams: the header is built in memory, tensor bytes go straight from where they are
  // (possibly another file's mapping) to the output.
  GgufLayout l;
  const std::vector<std::byte> header = header_bytes(l);
  const std::string name = path.string();
  // A unique temporary beside the target so that rename() stays on one file system.
  std::random_device rd;
  const std::string tmp = name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(name + ": cannot create temporary file: " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw IoError(name + ": " + what + ": " + std::strerror(err));
  };
  size_t pos = 0;
  auto put = [&](std::span<const std::byte> b) {
    size_t done = 0;
    while (done < b.size()) {
      const ssize_t w = ::write(fd, b.data() + done, b.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("write failed");
      }
      done += static_cast<size_t>(w);
    }
    pos += b.size();
  };
  static constexpr std::byte kZeros[4096] = {};
  auto pad_to = [&](size_t target) {  // target - pos < alignment <= 65536
    while (pos < target) put(std::span<const std::byte>(kZeros, std::min(sizeof kZeros, target - pos)));
  };
  put(header);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    pad_to(l.tensor_data_offsets[i]);
    put(tensors_[i].bytes());
  }
  pad_to(l.file_size);
  if (::fsync(fd) != 0) fail("fsync failed");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(name + ": close failed: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), name.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(name + ": rename failed: " + std::strerror(err));
  }
}

}  // namespace moe

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>

#include "gguf-cursor.hpp"
#include "gguf-text.hpp"
#include "moe/gguf.hpp"

namespace moe {
namespace {

using gguf_detail::Cursor;
using gguf_detail::printable;

// Counts come from the file: reserve at most this many entries up front so that a corrupt count
// cannot make us allocate far more than the file holds (the vectors still grow as needed).
constexpr uint64_t kMaxReserve = 4096;
size_t reserve_hint(uint64_t count) { return static_cast<size_t>(std::min(count, kMaxReserve)); }

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read little-endian
constexpr uint32_t kMaxArrayDepth = 8;
constexpr uint32_t kMaxDims = 4;

size_t fixed_size(GgufType t) {
  switch (t) {
    case GgufType::U8: case GgufType::I8: case GgufType::BOOL: return 1;
    case GgufType::U16: case GgufType::I16: return 2;
    case GgufType::U32: case GgufType::I32: case GgufType::F32: return 4;
    case GgufType::U64: case GgufType::I64: case GgufType::F64: return 8;
    default: return 0;
  }
}

bool known_type(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufType::F64); }

GgufValue read_value(Cursor& c, GgufType type, uint32_t depth, const std::string& key);

GgufValue read_scalar(Cursor& c, GgufType type, const std::string& key) {
  GgufValue v;
  v.type = type;
  const std::string what = "value of '" + key + "'";
  switch (type) {
    case GgufType::U8: v.v = uint64_t{c.read<uint8_t>(what.c_str())}; break;
    case GgufType::U16: v.v = uint64_t{c.read<uint16_t>(what.c_str())}; break;
    case GgufType::U32: v.v = uint64_t{c.read<uint32_t>(what.c_str())}; break;
    case GgufType::U64: v.v = c.read<uint64_t>(what.c_str()); break;
    case GgufType::I8: v.v = int64_t{c.read<int8_t>(what.c_str())}; break;
    case GgufType::I16: v.v = int64_t{c.read<int16_t>(what.c_str())}; break;
    case GgufType::I32: v.v = int64_t{c.read<int32_t>(what.c_str())}; break;
    case GgufType::I64: v.v = c.read<int64_t>(what.c_str()); break;
    case GgufType::F32: v.v = double{c.read<float>(what.c_str())}; break;
    case GgufType::F64: v.v = c.read<double>(what.c_str()); break;
    case GgufType::BOOL: {
      const uint8_t b = c.read<uint8_t>(what.c_str());
      if (b > 1) c.fail("'" + key + "': bool value " + std::to_string(b) + " is neither 0 nor 1");
      v.v = b == 1;
      break;
    }
    case GgufType::STRING: v.v = c.read_string(what.c_str()); break;
    default: c.fail("'" + key + "': unexpected value type");
  }
  return v;
}

GgufValue read_array(Cursor& c, uint32_t depth, const std::string& key) {
  if (depth >= kMaxArrayDepth) c.fail("'" + key + "': arrays nested deeper than 8 levels");
  const std::string what = "array '" + key + "'";
  const uint32_t raw_elem = c.read<uint32_t>((what + " element type").c_str());
  if (!known_type(raw_elem))
    c.fail("'" + key + "': unknown array element type " + std::to_string(raw_elem));
  const uint64_t count = c.read<uint64_t>((what + " length").c_str());
  auto arr = std::make_shared<GgufArray>();
  arr->elem_type = static_cast<GgufType>(raw_elem);
  arr->count = count;
  if (const size_t sz = fixed_size(arr->elem_type)) {
    if (count > c.remaining() / sz)
      c.fail("'" + key + "': array of " + std::to_string(count) + " elements does not fit in the rest of the file (truncated or corrupt)");
    arr->raw = c.take(count * sz, (what + " elements").c_str());
    if (arr->elem_type == GgufType::BOOL)
      for (uint64_t i = 0; i < count; ++i)
        if (static_cast<uint8_t>(arr->raw[i]) > 1) c.fail("'" + key + "': bool array element is neither 0 nor 1");
  } else if (arr->elem_type == GgufType::STRING) {
    if (count > c.remaining() / 8)  // each string needs at least its 8-byte length
      c.fail("'" + key + "': array of " + std::to_string(count) + " strings does not fit in the rest of the file (truncated or corrupt)");
    arr->strings.reserve(reserve_hint(count));
    const std::string what_s = "string in " + what;
    for (uint64_t i = 0; i < count; ++i) arr->strings.push_back(c.read_string(what_s.c_str()));
  } else {  // nested arrays: each needs at least a type and a length
    if (count > c.remaining() / 12)
      c.fail("'" + key + "': array of " + std::to_string(count) + " arrays does not fit in the rest of the file (truncated or corrupt)");
    arr->nested.reserve(reserve_hint(count));
    for (uint64_t i = 0; i < count; ++i) arr->nested.push_back(read_value(c, GgufType::ARRAY, depth + 1, key));
  }
  GgufValue v;
  v.type = GgufType::ARRAY;
  v.v = std::shared_ptr<const GgufArray>(std::move(arr));
  return v;
}

GgufValue read_value(Cursor& c, GgufType type, uint32_t depth, const std::string& key) {
  return type == GgufType::ARRAY ? read_array(c, depth, key) : read_scalar(c, type, key);
}

bool mul_overflows(int64_t a, int64_t b, int64_t limit) { return a != 0 && b > limit / a; }

}  // namespace

std::shared_ptr<const GgufFile> GgufFile::open(const std::filesystem::path& path) {
  const std::string name = path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw GgufError(name + ": cannot open: " + std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw GgufError(name + ": not a regular file");
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw GgufError(name + ": file is empty, not a GGUF model");
  }
  const size_t len = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (map == MAP_FAILED) throw GgufError(name + ": mmap failed: " + std::strerror(map_errno));

  std::shared_ptr<GgufFile> f(new GgufFile());
  f->name_ = name;
  f->map_ = map;
  f->map_len_ = len;
  f->bytes_ = {static_cast<const std::byte*>(map), len};
  f->parse();
  return f;
}

std::shared_ptr<const GgufFile> GgufFile::from_memory(std::span<const std::byte> bytes,
                                                      std::string display_name) {
  std::shared_ptr<GgufFile> f(new GgufFile());
  f->name_ = std::move(display_name);
  f->bytes_ = bytes;
  f->parse();
  return f;
}

GgufFile::~GgufFile() {
  if (map_) ::munmap(map_, map_len_);
}

void GgufFile::parse() {
  Cursor c(bytes_, name_);
  if (bytes_.size() < 4) c.fail("file too short for a GGUF header (" + std::to_string(bytes_.size()) + " bytes)");
  const uint32_t magic = c.read<uint32_t>("magic");
  if (magic != kMagic) c.fail("not a GGUF file (bad magic)");
  version_ = c.read<uint32_t>("version");
  if (version_ == 0x02000000u || version_ == 0x03000000u)
    c.fail("big-endian GGUF files are not supported");
  if (version_ == 1) c.fail("GGUF version 1 is obsolete and not supported (re-convert the model)");
  if (version_ != 2 && version_ != 3)
    c.fail("unsupported GGUF version " + std::to_string(version_) + " (this build reads versions 2 and 3)");
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  // A key-value pair takes at least 8 (key length) + 4 (type) + 1 bytes, a tensor info at least
  // 8 + 4 + 8 + 4 + 8: counts beyond that are corrupt, whatever follows.
  if (n_kv > c.remaining() / 13) c.fail("metadata count " + std::to_string(n_kv) + " is impossible for the file size (truncated or corrupt)");
  if (n_tensors > c.remaining() / 32) c.fail("tensor count " + std::to_string(n_tensors) + " is impossible for the file size (truncated or corrupt)");

  kv_.reserve(reserve_hint(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string_view key = c.read_string("metadata key");
    const std::string key_s = printable(key);
    if (const std::string why = gguf_detail::name_problem(key); !why.empty())
      c.fail("metadata key " + std::to_string(i) + " '" + key_s + "': " + why);
    if (kv_index_.contains(key)) c.fail("duplicate metadata key '" + key_s + "'");
    const uint32_t raw_type = c.read<uint32_t>("metadata value type");
    if (!known_type(raw_type)) c.fail("'" + key_s + "': unknown metadata value type " + std::to_string(raw_type));
    GgufValue v = read_value(c, static_cast<GgufType>(raw_type), 0, key_s);
    kv_index_.emplace(key, kv_.size());
    kv_.emplace_back(key, std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (a->type != GgufType::U32) c.fail("general.alignment: expected u32, found " + std::string(gguf_type_name(a->type)));
    const uint64_t al = std::get<uint64_t>(a->v);
    if (al == 0 || (al & (al - 1)) != 0 || al > 65536)
      c.fail("general.alignment: " + std::to_string(al) + " is not a power of two up to 65536");
    alignment_ = static_cast<uint32_t>(al);
  }

  tensors_.reserve(reserve_hint(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.name = c.read_string("tensor name");
    const std::string tname = printable(t.name);
    if (const std::string why = gguf_detail::name_problem(t.name); !why.empty())
      c.fail("tensor " + std::to_string(i) + " name '" + tname + "': " + why);
    if (tensor_index_.contains(t.name)) c.fail("duplicate tensor name '" + tname + "'");
    t.n_dims = c.read<uint32_t>("tensor dimension count");
    if (t.n_dims == 0 || t.n_dims > kMaxDims)
      c.fail("tensor '" + tname + "': " + std::to_string(t.n_dims) + " dimensions (1 to 4 allowed)");
    int64_t product = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      const uint64_t dim = c.read<uint64_t>("tensor dimension");
      if (dim == 0 || dim > (uint64_t{1} << 40))
        c.fail("tensor '" + tname + "': dimension " + std::to_string(d) + " is " + std::to_string(dim) +
               " (must be 1 to 2^40)");
      t.ne[d] = static_cast<int64_t>(dim);
      if (mul_overflows(product, t.ne[d], int64_t{1} << 50))
        c.fail("tensor '" + tname + "': element count overflows");
      product *= t.ne[d];
    }
    const uint32_t raw_type = c.read<uint32_t>("tensor type");
    const auto tt = kern::type_traits(raw_type);
    if (!tt) c.fail("tensor '" + tname + "': unknown tensor type id " + std::to_string(raw_type));
    t.type = tt->type;
    if (t.ne[0] % tt->block_elems != 0)
      c.fail("tensor '" + tname + "': row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
             std::string(tt->name) + " block size " + std::to_string(tt->block_elems));
    t.nbytes = static_cast<size_t>(product / tt->block_elems) * tt->block_bytes;
    t.offset = c.read<uint64_t>("tensor data offset");
    if (t.offset % alignment_ != 0)
      c.fail("tensor '" + tname + "': data offset " + std::to_string(t.offset) + " is not aligned to " +
             std::to_string(alignment_));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(t);
  }

  // The data section starts at the next multiple of the alignment.
  const size_t header_end = c.pos();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > bytes_.size()) {
    if (!tensors_.empty())
      c.fail("file truncated: the tensor data section starts beyond the end of the file");
    data_offset_ = bytes_.size();  // metadata-only file (a vocabulary) without final padding
  }
  const size_t data_size = bytes_.size() - data_offset_;
  for (TensorInfo& t : tensors_) {
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      throw GgufError(name_ + ": tensor '" + printable(t.name) + "': data at offset " + std::to_string(t.offset) +
                      " (" + std::to_string(t.nbytes) + " bytes) lies outside the data section of " +
                      std::to_string(data_size) + " bytes (file truncated?)");
    // Invariant: offset + nbytes <= data_size, so the pointer stays inside the mapping.
    t.data = bytes_.data() + data_offset_ + t.offset;
  }

  // Tensors may be stored in any order but must not share bytes: a writer bug or a crafted
  // file would otherwise alias one weight onto another.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = tensors_[order[k - 1]];
    const TensorInfo& cur = tensors_[order[k]];
    if (cur.offset < prev.offset + prev.nbytes)
      throw GgufError(name_ + ": tensor '" + printable(cur.name) + "': data at offset " + std::to_string(cur.offset) +
                      " (" + std::to_string(cur.nbytes) + " bytes) overlaps tensor '" + printable(prev.name) +
                      "' at offset " + std::to_string(prev.offset) + " (" + std::to_string(prev.nbytes) + " bytes)");
  }
}

const GgufValue* GgufFile::find(std::string_view key) const noexcept {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const noexcept {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace moe

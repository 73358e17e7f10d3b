// fuzz-gguf-make-seeds CONFORMANCE_DIR OUT_DIR: writes one small seed per GGUF file found in
// CONFORMANCE_DIR/models and CONFORMANCE_DIR/vocab. Keys, value types, tensor names, types and
// ranks are kept; arrays keep their first items, strings their first bytes, and each tensor
// shrinks to at most one block row by two, so a seed is a few KB instead of megabytes.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"

namespace fs = std::filesystem;
using moe::GgufWriteValue;

namespace {

constexpr size_t kMaxItems = 16;
constexpr size_t kMaxString = 256;

GgufWriteValue shrink(const GgufWriteValue& v) {
  if (v.type == moe::GgufType::STRING) {
    const std::string& s = std::get<std::string>(v.v);
    return GgufWriteValue::string(s.substr(0, kMaxString));
  }
  if (v.type != moe::GgufType::ARRAY) return v;
  const auto& a = *std::get<std::shared_ptr<const GgufWriteValue::Array>>(v.v);
  std::vector<GgufWriteValue> items;
  for (size_t i = 0; i < a.items.size() && i < kMaxItems; ++i) items.push_back(shrink(a.items[i]));
  return GgufWriteValue::array(a.elem_type, std::move(items));
}

void make_seed(const fs::path& in, const fs::path& out) {
  const auto f = moe::GgufFile::open(in);
  moe::GgufWriter w;
  for (const auto& [k, v] : f->metadata()) w.set(std::string(k), shrink(GgufWriteValue::from(v)));
  for (const moe::TensorInfo& t : f->tensors()) {
    const moe::kern::TypeTraits& tt = moe::kern::traits(t.type);
    std::vector<int64_t> dims(t.ne, t.ne + t.n_dims);
    dims[0] = tt.block_elems;
    for (size_t d = 1; d < dims.size(); ++d) dims[d] = std::min<int64_t>(dims[d], 2);
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    const size_t nbytes = static_cast<size_t>(n / tt.block_elems) * tt.block_bytes;
    w.add_tensor(std::string(t.name), t.type, dims, std::vector<std::byte>(t.data, t.data + std::min(nbytes, t.nbytes)));
  }
  w.write_file(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CONFORMANCE_DIR OUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    const fs::path out_dir = argv[2];
    fs::create_directories(out_dir);
    int n = 0;
    for (const char* sub : {"models", "vocab"}) {
      for (const auto& e : fs::directory_iterator(fs::path(argv[1]) / sub)) {
        if (e.path().extension() != ".gguf") continue;
        make_seed(e.path(), out_dir / e.path().filename());
        ++n;
      }
    }
    std::printf("%d seeds written to %s\n", n, out_dir.string().c_str());
    return n > 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz-gguf-make-seeds: error: %s\n", e.what());
    return 1;
  }
}

// The quantize driver: plan, convert each tensor row by row in parallel, write atomically.
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>

#include <memory>
#include <string>
#include <vector>

#include "moe/errors.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/kernels/quant.hpp"
#include "moe/quantize.hpp"

namespace moe {
namespace {

using kern::GgmlType;

// ggml's GGML_QNT_VERSION: the block layouts written here.
constexpr uint32_t kQuantizationVersion = 2;

bool convertible(GgmlType t) { return t == GgmlType::F32 || kern::quant_supported(t); }

// One tensor, every row: src type -> f32 -> dst type. Rows are independent, so they are
// split across threads; each thread reuses one f32 row buffer.
std::vector<std::byte> convert_tensor(const TensorInfo& t, GgmlType to) {
  const int64_t n = t.ne[0];
  const int64_t rows = t.ne[1] * t.ne[2] * t.ne[3];
  const size_t in_row = kern::row_bytes(t.type, n);
  const size_t out_row = kern::row_bytes(to, n);
  std::vector<std::byte> out(out_row * static_cast<size_t>(rows));
  tbb::enumerable_thread_specific<std::vector<float>> scratch([n] { return std::vector<float>(static_cast<size_t>(n)); });
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, rows, 16), [&](const tbb::blocked_range<int64_t>& r) {
    std::vector<float>& buf = scratch.local();
    for (int64_t row = r.begin(); row < r.end(); ++row) {
      // row < rows, and rows * in_row == t.nbytes (validated by the reader): in bounds.
      const std::byte* src = t.data + static_cast<size_t>(row) * in_row;
      std::byte* dst = out.data() + static_cast<size_t>(row) * out_row;
      const float* f32 = reinterpret_cast<const float*>(src);
      if (t.type != GgmlType::F32) {
        kern::dequantize_row(t.type, src, buf.data(), n);
        f32 = buf.data();
      }
      kern::quantize_row_ref(to, f32, dst, n);
    }
  });
  return out;
}

}  // namespace

QuantizeStats quantize_model(const std::filesystem::path& in_path, const std::filesystem::path& out_path,
                             const QuantTarget& target, const QuantizeOptions& opts) {
  const std::shared_ptr<const GgufFile> in = GgufFile::open(in_path);
  const std::vector<TensorQuantPlan> plan = plan_quantization(*in, target);

  // Fail before any work when a conversion is impossible, naming the tensor.
  for (const TensorQuantPlan& p : plan) {
    if (p.from == p.to) continue;
    if (!convertible(p.from))
      throw ModelError(in->name() + ": tensor " + p.name + ": cannot convert from type " +
                       std::string(kern::type_name(p.from)) + " (no dequantizer)");
    if (!convertible(p.to))
      throw ModelError(in->name() + ": tensor " + p.name + ": type " + std::string(kern::type_name(p.to)) +
                       " cannot be written (no quantizer)");
  }

  GgufWriter w;
  for (const auto& [key, value] : in->metadata()) {
    if (key == "general.alignment") continue;
    w.set(std::string(key), GgufWriteValue::from(value));
  }
  if (in->alignment() != 32) w.set_alignment(in->alignment());
  w.set("general.quantization_version", GgufWriteValue::u32(kQuantizationVersion));
  w.set("general.file_type", GgufWriteValue::u32(target.ftype));

  std::unique_ptr<tbb::global_control> limit;
  if (opts.n_threads > 0)
    limit = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism,
                                                  static_cast<size_t>(opts.n_threads));

  QuantizeStats stats;
  stats.n_tensors = plan.size();
  for (size_t i = 0; i < plan.size(); ++i) {
    const TensorQuantPlan& p = plan[i];
    if (opts.progress && !opts.progress(i, plan.size(), p))
      throw CancelledError(in->name() + ": quantization cancelled");
    const TensorInfo& t = *in->find_tensor(p.name);
    const std::vector<int64_t> dims(t.ne, t.ne + t.n_dims);
    stats.bytes_in += t.nbytes;
    if (p.fallback) ++stats.n_fallback;
    if (p.from == p.to) {
      w.add_tensor_view(p.name, p.to, dims, std::span<const std::byte>(t.data, t.nbytes));
      stats.bytes_out += t.nbytes;
      continue;
    }
    std::vector<std::byte> bytes = convert_tensor(t, p.to);
    stats.bytes_out += bytes.size();
    ++stats.n_converted;
    w.add_tensor(p.name, p.to, dims, std::move(bytes));
  }
  w.write_file(out_path);
  return stats;
}

}  // namespace moe

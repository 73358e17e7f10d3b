#include "model/tensor-loader.hpp"

#include "model/weight-ops.hpp"
#include "moe/errors.hpp"
#include "moe/gguf.hpp"

namespace moe {

namespace {

std::string shape_text(std::initializer_list<int64_t> shape) {
  std::string s = "[";
  bool first = true;
  for (int64_t d : shape) {
    if (!first) s += ", ";
    s += std::to_string(d);
    first = false;
  }
  return s + "]";
}

}  // namespace

bool TensorLoader::has(Tn t, int layer, TnSuffix s, int expert) const {
  return f_.find_tensor(tensor_name(t, layer, s, expert)) != nullptr;
}

const TensorInfo* TensorLoader::check(const std::string& name, std::initializer_list<int64_t> shape,
                                      bool required) const {
  const TensorInfo* ti = f_.find_tensor(name);
  if (!ti) {
    if (!required) return nullptr;
    throw ModelError(f_.name() + ": missing tensor '" + name + "' (expected shape " + shape_text(shape) + ")");
  }
  bool ok = ti->n_dims == shape.size();
  size_t i = 0;
  for (int64_t d : shape) ok = ok && ti->ne[i++] == d;
  // GGUF writers may store a vector as [n, 1]; accept trailing 1s.
  if (!ok && ti->n_dims > shape.size()) {
    ok = true;
    i = 0;
    for (int64_t d : shape) ok = ok && ti->ne[i++] == d;
    for (; i < ti->n_dims; ++i) ok = ok && ti->ne[i] == 1;
  }
  if (!ok)
    throw ModelError(f_.name() + ": tensor '" + name + "' has shape " + ti->shape_string() + ", expected " +
                     shape_text(shape));
  if (!weight_type_supported(ti->type))
    throw ModelError(f_.name() + ": tensor '" + name + "' has type " + std::string(kern::type_name(ti->type)) +
                     ", which this build cannot compute with");
  return ti;
}

const TensorInfo& TensorLoader::require(const std::string& name, std::initializer_list<int64_t> shape) const {
  return *check(name, shape, true);
}

WeightView TensorLoader::view(const TensorInfo& ti, int64_t n_in, int64_t n_out) const {
  WeightView w;
  w.data = ti.data;
  w.type = ti.type;
  w.n_in = n_in;
  w.n_out = n_out;
  w.row_bytes = kern::row_bytes(ti.type, n_in);
  w.name = ti.name;
  return w;
}

WeightView TensorLoader::matrix(Tn t, int layer, int64_t n_in, int64_t n_out, bool required, int expert) {
  const std::string name = tensor_name(t, layer, TnSuffix::weight, expert);
  const TensorInfo* ti = check(name, {n_in, n_out}, required);
  if (!ti) return {};
  if (n_in % kern::traits(ti->type).block_elems != 0)
    throw ModelError(f_.name() + ": tensor '" + name + "': row of " + std::to_string(n_in) +
                     " elements is not a whole number of " + std::string(kern::type_name(ti->type)) + " blocks");
  return view(*ti, n_in, n_out);
}

const float* TensorLoader::vector(Tn t, int layer, int64_t n, bool required, TnSuffix s) {
  const std::string name = tensor_name(t, layer, s);
  const TensorInfo* ti = check(name, {n}, required);
  if (!ti) return nullptr;
  // Invariant: the reader validated that data + nbytes lies in the mapping and is aligned.
  if (ti->type == kern::GgmlType::F32) return reinterpret_cast<const float*>(ti->data);
  std::vector<float>& copy = owned_.emplace_back(static_cast<size_t>(n));
  dequantize_row(ti->type, ti->data, copy.data(), n);
  return copy.data();
}

std::vector<ExpertView> TensorLoader::experts(int layer, int n_expert, int64_t n_embd, int64_t n_ff_exp) {
  std::vector<ExpertView> out(static_cast<size_t>(n_expert));
  const bool merged = has(Tn::ffn_gate_exps, layer) || !has(Tn::ffn_gate_expert, layer, TnSuffix::weight, 0);
  if (merged) {
    const TensorInfo& g = require(tensor_name(Tn::ffn_gate_exps, layer), {n_embd, n_ff_exp, n_expert});
    const TensorInfo& u = require(tensor_name(Tn::ffn_up_exps, layer), {n_embd, n_ff_exp, n_expert});
    const TensorInfo& d = require(tensor_name(Tn::ffn_down_exps, layer), {n_ff_exp, n_embd, n_expert});
    for (int e = 0; e < n_expert; ++e) {
      auto& ev = out[static_cast<size_t>(e)];
      ev.gate = view(g, n_embd, n_ff_exp);
      ev.up = view(u, n_embd, n_ff_exp);
      ev.down = view(d, n_ff_exp, n_embd);
      // Invariant: expert e's rows start e * n_out rows in; the tensor holds n_expert such slabs.
      ev.gate.data += static_cast<size_t>(e) * static_cast<size_t>(n_ff_exp) * ev.gate.row_bytes;
      ev.up.data += static_cast<size_t>(e) * static_cast<size_t>(n_ff_exp) * ev.up.row_bytes;
      ev.down.data += static_cast<size_t>(e) * static_cast<size_t>(n_embd) * ev.down.row_bytes;
    }
  } else {
    for (int e = 0; e < n_expert; ++e) {
      auto& ev = out[static_cast<size_t>(e)];
      ev.gate = matrix(Tn::ffn_gate_expert, layer, n_embd, n_ff_exp, true, e);
      ev.up = matrix(Tn::ffn_up_expert, layer, n_embd, n_ff_exp, true, e);
      ev.down = matrix(Tn::ffn_down_expert, layer, n_ff_exp, n_embd, true, e);
    }
  }
  return out;
}

}  // namespace moe

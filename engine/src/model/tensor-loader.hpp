#pragma once
// Looks tensors up by (Tn, layer), checks shape and type, and returns views into the mapping.
// Every failure is a ModelError naming the file, the tensor, and the expected shape or type.
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <vector>

#include "model/tensor-names.hpp"
#include "model/weights.hpp"

namespace moe {

class GgufFile;
struct TensorInfo;

class TensorLoader {
 public:
  // Small non-f32 vectors are converted once into `owned` (which must outlive the model).
  TensorLoader(const GgufFile& file, std::deque<std::vector<float>>& owned) : f_(file), owned_(owned) {}

  bool has(Tn t, int layer = -1, TnSuffix s = TnSuffix::weight, int expert = -1) const;
  // A 2-D matrix with GGUF ne = {n_in, n_out}. Optional tensors return an empty view.
  WeightView matrix(Tn t, int layer, int64_t n_in, int64_t n_out, bool required = true, int expert = -1);
  // An f32 vector of n elements (norm weights, biases); nullptr when optional and absent.
  const float* vector(Tn t, int layer, int64_t n, bool required = true, TnSuffix s = TnSuffix::weight);
  // Experts of one layer from merged `ffn_*_exps` tensors, or the older per-expert tensors.
  std::vector<ExpertView> experts(int layer, int n_expert, int64_t n_embd, int64_t n_ff_exp);

 private:
  const TensorInfo& require(const std::string& name, std::initializer_list<int64_t> shape) const;
  const TensorInfo* check(const std::string& name, std::initializer_list<int64_t> shape, bool required) const;
  WeightView view(const TensorInfo& ti, int64_t n_in, int64_t n_out) const;

  const GgufFile& f_;
  std::deque<std::vector<float>>& owned_;
};

}  // namespace moe

// Which type each tensor gets: llama.cpp's llama-quant.cpp recipe (commit de3ff81 behaviour,
// no importance matrix, no overrides), re-expressed as a table of targets plus one function
// per tensor category. Matching llama-quantize tensor for tensor is what lets a file made
// here be compared byte for byte with one made there.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>

#include "moe/errors.hpp"
#include "moe/quantize.hpp"

namespace moe {
namespace {

using kern::GgmlType;
using T = GgmlType;

// llama.h LLAMA_FTYPE values.
enum Ftype : uint32_t {
  ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_Q4_0 = 2, MOSTLY_Q4_1 = 3, MOSTLY_Q8_0 = 7,
  MOSTLY_Q5_0 = 8, MOSTLY_Q5_1 = 9, MOSTLY_Q2_K = 10, MOSTLY_Q3_K_S = 11, MOSTLY_Q3_K_M = 12,
  MOSTLY_Q3_K_L = 13, MOSTLY_Q4_K_S = 14, MOSTLY_Q4_K_M = 15, MOSTLY_Q5_K_S = 16,
  MOSTLY_Q5_K_M = 17, MOSTLY_Q6_K = 18, MOSTLY_BF16 = 32,
};

constexpr QuantTarget kTargets[] = {
    {"F32", ALL_F32, T::F32},         {"F16", MOSTLY_F16, T::F16},
    {"BF16", MOSTLY_BF16, T::BF16},   {"Q8_0", MOSTLY_Q8_0, T::Q8_0},
    {"Q4_0", MOSTLY_Q4_0, T::Q4_0},   {"Q4_1", MOSTLY_Q4_1, T::Q4_1},
    {"Q5_0", MOSTLY_Q5_0, T::Q5_0},   {"Q5_1", MOSTLY_Q5_1, T::Q5_1},
    {"Q2_K", MOSTLY_Q2_K, T::Q2_K},   {"Q3_K_S", MOSTLY_Q3_K_S, T::Q3_K},
    {"Q3_K_M", MOSTLY_Q3_K_M, T::Q3_K}, {"Q3_K_L", MOSTLY_Q3_K_L, T::Q3_K},
    {"Q4_K_S", MOSTLY_Q4_K_S, T::Q4_K}, {"Q4_K_M", MOSTLY_Q4_K_M, T::Q4_K},
    {"Q5_K_S", MOSTLY_Q5_K_S, T::Q5_K}, {"Q5_K_M", MOSTLY_Q5_K_M, T::Q5_K},
    {"Q6_K", MOSTLY_Q6_K, T::Q6_K},
};

constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"Q3_K", "Q3_K_M"}, {"Q4_K", "Q4_K_M"}, {"Q5_K", "Q5_K_M"}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

enum class Category { token_embd, output, attn_v, attn_k, attn_q, attn_output, ffn_up, ffn_gate, ffn_down, other };

Category category_of(std::string_view name) {
  if (name == "output.weight") return Category::output;
  if (name == "token_embd.weight") return Category::token_embd;
  // attn_qkv and attn_kv_b carry the value projection: the recipe treats them as attn_v.
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") || contains(name, "attn_v.weight"))
    return Category::attn_v;
  if (contains(name, "attn_k.weight")) return Category::attn_k;
  if (contains(name, "attn_q.weight")) return Category::attn_q;
  if (contains(name, "attn_output.weight")) return Category::attn_output;
  if (contains(name, "ffn_up")) return Category::ffn_up;
  if (contains(name, "ffn_gate")) return Category::ffn_gate;
  if (contains(name, "ffn_down")) return Category::ffn_down;
  return Category::other;
}

// Tensors llama-quantize leaves in their stored type, whatever the target.
bool allows_quantization(const TensorInfo& t) {
  if (t.n_dims < 2) return false;
  const std::string_view name = t.name;
  if (name.size() < 6 || name.substr(name.size() - 6) != "weight") return false;
  if (contains(name, "_norm.weight")) return false;
  // MoE routers (ffn_gate_inp, qwen2moe's ffn_gate_inp_shexp): tiny and precision-critical.
  if (contains(name, "ffn_gate_inp")) return false;
  if (name == "position_embd.weight" || name == "token_types.weight") return false;
  if (contains(name, "ssm_conv1d") || contains(name, "attn_rel_b.weight")) return false;
  return true;
}

// Layer number from "blk.N."; -1 for tensors outside the blocks.
int layer_of(std::string_view name) {
  int layer = -1;
  const std::string s(name);
  if (std::sscanf(s.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

struct Hparams {
  std::string arch;
  int n_layer = 0;
  int n_expert = 0;
  int n_gqa = 1;
  bool is_70b = false;  // llama.cpp's LLM_TYPE_70B: 80-layer llama with grouped-query attention
};

std::optional<uint32_t> opt_u32_lenient(const GgufFile& in, const std::string& key) {
  try {
    return in.opt_u32(key);
  } catch (const GgufError&) {
    return std::nullopt;  // per-layer arrays (some archs): the recipe then assumes no GQA
  }
}

Hparams read_hparams(const GgufFile& in) {
  Hparams hp;
  hp.arch = std::string(in.get_string("general.architecture"));
  const auto n_layer = in.opt_u32(hp.arch + ".block_count");
  if (!n_layer) throw ModelError(in.name() + ": " + hp.arch + ".block_count: missing (needed to choose tensor types)");
  hp.n_layer = static_cast<int>(*n_layer);
  hp.n_expert = static_cast<int>(opt_u32_lenient(in, hp.arch + ".expert_count").value_or(0));
  const auto n_head = opt_u32_lenient(in, hp.arch + ".attention.head_count");
  const auto n_head_kv = opt_u32_lenient(in, hp.arch + ".attention.head_count_kv");
  if (n_head && n_head_kv && *n_head_kv > 0) hp.n_gqa = static_cast<int>(*n_head / *n_head_kv);
  hp.is_70b = hp.arch == "llama" && hp.n_layer == 80 && n_head && n_head_kv && *n_head != *n_head_kv;
  return hp;
}

// llama.cpp's choice of layers that get more bits: the first and last eighth, and every
// third layer in between.
bool use_more_bits(int i_layer, int n_layer) {
  return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

struct RecipeState {
  const Hparams& hp;
  uint32_t ftype;
  bool tied_embeddings = true;  // until output.weight is seen
  int n_attention_wv = 0, i_attention_wv = 0;
};

GgmlType attn_v_type(RecipeState& s, GgmlType t) {
  const uint32_t f = s.ftype;
  if (f == MOSTLY_Q2_K) t = s.hp.n_gqa >= 4 ? T::Q4_K : T::Q3_K;
  else if (f == MOSTLY_Q3_K_M) t = s.i_attention_wv < 2 ? T::Q5_K : T::Q4_K;
  else if (f == MOSTLY_Q3_K_L) t = T::Q5_K;
  else if ((f == MOSTLY_Q4_K_M || f == MOSTLY_Q5_K_M) && use_more_bits(s.i_attention_wv, s.n_attention_wv)) t = T::Q6_K;
  else if (f == MOSTLY_Q4_K_S && s.i_attention_wv < 4) t = T::Q5_K;
  // 70B: eight heads share attn_v, so it is 8x smaller than attn_q and more bits are cheap.
  if (s.hp.is_70b && (t == T::Q3_K || t == T::Q4_K)) t = T::Q5_K;
  if (s.hp.n_expert == 8) t = T::Q8_0;  // Mixtral-style: ~128 MB for a real quality gain
  ++s.i_attention_wv;
  return t;
}

GgmlType ffn_down_type(const RecipeState& s, GgmlType t, std::string_view name) {
  const uint32_t f = s.ftype;
  const int n_layer = s.hp.n_layer;
  const int i_layer = layer_of(name);
  if (i_layer < 0 || i_layer >= n_layer)
    throw ModelError(std::string(name) + ": layer outside [0, " + std::to_string(n_layer) + ")");
  const bool falcon = s.hp.arch == "falcon";
  if (f == MOSTLY_Q2_K) t = T::Q3_K;
  else if (f == MOSTLY_Q3_K_M)
    t = i_layer < n_layer / 16 ? T::Q5_K : (!falcon || use_more_bits(i_layer, n_layer)) ? T::Q4_K : T::Q3_K;
  else if (f == MOSTLY_Q3_K_L) t = falcon ? T::Q4_K : T::Q5_K;
  else if (f == MOSTLY_Q4_K_M) {
    if (falcon) t = i_layer < n_layer / 16 ? T::Q6_K : use_more_bits(i_layer, n_layer) ? T::Q5_K : T::Q4_K;
    else if (use_more_bits(i_layer, n_layer)) t = T::Q6_K;
  } else if (f == MOSTLY_Q5_K_M && use_more_bits(i_layer, n_layer)) t = T::Q6_K;
  else if (f == MOSTLY_Q4_K_S && !falcon && i_layer < n_layer / 8) t = T::Q5_K;
  return t;
}

GgmlType attn_output_type(const RecipeState& s, GgmlType t) {
  const uint32_t f = s.ftype;
  if (s.hp.arch == "falcon") return f == MOSTLY_Q3_K_L ? T::Q4_K : t;
  if (s.hp.n_expert == 8) {
    if (f == MOSTLY_Q2_K || f == MOSTLY_Q3_K_S || f == MOSTLY_Q3_K_M || f == MOSTLY_Q4_K_S || f == MOSTLY_Q4_K_M)
      t = T::Q5_K;
  } else {
    if (f == MOSTLY_Q2_K) t = T::Q3_K;
    else if (f == MOSTLY_Q3_K_M) t = T::Q4_K;
    else if (f == MOSTLY_Q3_K_L) t = T::Q5_K;
  }
  return t;
}

GgmlType recipe_type(RecipeState& s, const TensorInfo& t, GgmlType type) {
  const Category cat = category_of(t.name);
  if (cat == Category::output || (s.tied_embeddings && cat == Category::token_embd)) {
    // The output head is the most sensitive matrix: q6_K unless the target is q8_0 already.
    if (s.hp.arch == "falcon" || t.ne[0] % kern::traits(type).block_elems != 0) return T::Q8_0;
    return type == T::Q8_0 ? type : T::Q6_K;
  }
  switch (cat) {
    case Category::attn_v: return attn_v_type(s, type);
    case Category::attn_k: return s.hp.n_expert == 8 ? T::Q8_0 : type;
    case Category::ffn_down: return ffn_down_type(s, type, t.name);
    case Category::attn_output: return attn_output_type(s, type);
    default: return type;
  }
}

// Rows that do not split into whole blocks of `type`: the nearest 32-element type.
GgmlType fallback_type(const TensorInfo& t, GgmlType type, bool& fell_back) {
  const int64_t ncols = t.ne[0];
  fell_back = false;
  if (ncols % kern::traits(type).block_elems == 0) return type;
  fell_back = true;
  GgmlType fb = T::F16;
  switch (type) {
    case T::Q2_K: case T::Q3_K: fb = T::Q4_0; break;
    case T::Q4_K: fb = T::Q5_0; break;
    case T::Q5_K: fb = T::Q5_1; break;
    case T::Q6_K: fb = T::Q8_0; break;
    default: break;
  }
  if (ncols % kern::traits(fb).block_elems != 0) fb = T::F16;
  return fb;
}

// llama.cpp's tensor order (llama_model_loader's weight map): tensors outside the blocks
// first, then by layer number, then by name.
bool weight_order(const TensorInfo* a, const TensorInfo* b) {
  const int la = layer_of(a->name), lb = layer_of(b->name);
  if (la != lb) return la < lb;
  return a->name < b->name;
}

}  // namespace

std::optional<QuantTarget> find_quant_target(std::string_view name) noexcept {
  for (const auto& [alias, real] : kAliases)
    if (iequals(name, alias)) name = real;
  for (const QuantTarget& t : kTargets)
    if (iequals(name, t.name)) return t;
  return std::nullopt;
}

std::vector<std::string_view> quant_target_names() {
  std::vector<std::string_view> names;
  for (const QuantTarget& t : kTargets) names.push_back(t.name);
  return names;
}

std::vector<TensorQuantPlan> plan_quantization(const GgufFile& in, const QuantTarget& target) {
  const Hparams hp = read_hparams(in);
  RecipeState s{hp, target.ftype};

  std::vector<const TensorInfo*> order;
  for (const TensorInfo& t : in.tensors()) order.push_back(&t);
  std::sort(order.begin(), order.end(), weight_order);

  for (const TensorInfo* t : order) {
    const Category cat = category_of(t->name);
    if (cat == Category::attn_v) ++s.n_attention_wv;
    if (cat == Category::output) s.tied_embeddings = false;
  }

  std::vector<TensorQuantPlan> plan;
  plan.reserve(order.size());
  for (const TensorInfo* t : order) {
    TensorQuantPlan p{std::string(t->name), t->type, t->type, false};
    if (allows_quantization(*t)) {
      GgmlType type = target.default_type;
      if (kern::traits(type).quantized) {
        type = recipe_type(s, *t, type);
        type = fallback_type(*t, type, p.fallback);
      }
      p.to = type;
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

}  // namespace moe

#include "model/tensor-names.hpp"

#include <array>
#include <cstdio>

namespace moe {

namespace {

struct NameFormat {
  Tn tn;
  const char* format;  // %d = layer, second %d = expert
};

constexpr std::array kFormats = {
    NameFormat{Tn::token_embd, "token_embd"},
    NameFormat{Tn::output_norm, "output_norm"},
    NameFormat{Tn::output, "output"},
    NameFormat{Tn::attn_norm, "blk.%d.attn_norm"},
    NameFormat{Tn::attn_q, "blk.%d.attn_q"},
    NameFormat{Tn::attn_k, "blk.%d.attn_k"},
    NameFormat{Tn::attn_v, "blk.%d.attn_v"},
    NameFormat{Tn::attn_output, "blk.%d.attn_output"},
    NameFormat{Tn::attn_q_norm, "blk.%d.attn_q_norm"},
    NameFormat{Tn::attn_k_norm, "blk.%d.attn_k_norm"},
    NameFormat{Tn::ffn_norm, "blk.%d.ffn_norm"},
    NameFormat{Tn::ffn_gate, "blk.%d.ffn_gate"},
    NameFormat{Tn::ffn_up, "blk.%d.ffn_up"},
    NameFormat{Tn::ffn_down, "blk.%d.ffn_down"},
    NameFormat{Tn::ffn_gate_inp, "blk.%d.ffn_gate_inp"},
    NameFormat{Tn::ffn_gate_exps, "blk.%d.ffn_gate_exps"},
    NameFormat{Tn::ffn_up_exps, "blk.%d.ffn_up_exps"},
    NameFormat{Tn::ffn_down_exps, "blk.%d.ffn_down_exps"},
    NameFormat{Tn::ffn_gate_expert, "blk.%d.ffn_gate.%d"},
    NameFormat{Tn::ffn_up_expert, "blk.%d.ffn_up.%d"},
    NameFormat{Tn::ffn_down_expert, "blk.%d.ffn_down.%d"},
    NameFormat{Tn::ffn_gate_inp_shexp, "blk.%d.ffn_gate_inp_shexp"},
    NameFormat{Tn::ffn_gate_shexp, "blk.%d.ffn_gate_shexp"},
    NameFormat{Tn::ffn_up_shexp, "blk.%d.ffn_up_shexp"},
    NameFormat{Tn::ffn_down_shexp, "blk.%d.ffn_down_shexp"},
};

constexpr bool table_in_enum_order() {
  for (size_t i = 0; i < kFormats.size(); ++i)
    if (static_cast<size_t>(kFormats[i].tn) != i) return false;
  return true;
}
static_assert(table_in_enum_order(), "kFormats must list Tn in enum order");

}  // namespace

std::string tensor_name(Tn t, int layer, TnSuffix suffix, int expert) {
  const char* fmt = kFormats[static_cast<size_t>(t)].format;
  char buf[96];
  // Formats without %d ignore the extra arguments (defined behaviour for printf).
  std::snprintf(buf, sizeof buf, fmt, layer, expert);
  std::string name(buf);
  name += suffix == TnSuffix::weight ? ".weight" : ".bias";
  return name;
}

}  // namespace moe

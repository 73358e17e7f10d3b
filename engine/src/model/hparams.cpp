#include "model/hparams.hpp"

#include <cmath>
#include <optional>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"

namespace moe {

std::string_view hparam_key_suffix(HKey key) noexcept {
  switch (key) {
    case HKey::vocab_size: return "vocab_size";
    case HKey::context_length: return "context_length";
    case HKey::embedding_length: return "embedding_length";
    case HKey::block_count: return "block_count";
    case HKey::feed_forward_length: return "feed_forward_length";
    case HKey::head_count: return "attention.head_count";
    case HKey::head_count_kv: return "attention.head_count_kv";
    case HKey::key_length: return "attention.key_length";
    case HKey::value_length: return "attention.value_length";
    case HKey::rms_eps: return "attention.layer_norm_rms_epsilon";
    case HKey::rope_freq_base: return "rope.freq_base";
    case HKey::rope_dimension_count: return "rope.dimension_count";
    case HKey::rope_scaling_type: return "rope.scaling.type";
    case HKey::rope_scaling_factor: return "rope.scaling.factor";
    case HKey::expert_count: return "expert_count";
    case HKey::expert_used_count: return "expert_used_count";
    case HKey::expert_feed_forward_length: return "expert_feed_forward_length";
    case HKey::expert_shared_feed_forward_length: return "expert_shared_feed_forward_length";
  }
  return "?";
}

std::string hparam_key(std::string_view arch, HKey key) {
  std::string k(arch);
  k += '.';
  k += hparam_key_suffix(key);
  return k;
}

namespace {

struct Reader {
  const GgufFile& f;
  std::string_view arch;

  [[noreturn]] void fail(HKey key, const std::string& what) const {
    throw ModelError(f.name() + ": " + hparam_key(arch, key) + ": " + what);
  }
  // Integer keys: any integer type, must fit a positive int.
  std::optional<int> opt_int(HKey key) const {
    const std::string k = hparam_key(arch, key);
    const GgufValue* v = f.find(k);
    if (!v) return std::nullopt;
    if (!v->is_integer()) fail(key, "expected an integer, found " + std::string(gguf_type_name(v->type)));
    int64_t x = 0;
    if (const auto* u = std::get_if<uint64_t>(&v->v)) {
      if (*u > (1u << 30)) fail(key, "value " + std::to_string(*u) + " out of range");
      x = static_cast<int64_t>(*u);
    } else if (const auto* i = std::get_if<int64_t>(&v->v)) {
      x = *i;
    }
    if (x < 0 || x > (int64_t{1} << 30)) fail(key, "value " + std::to_string(x) + " out of range");
    return static_cast<int>(x);
  }
  int req_int(HKey key, int min_value = 1) const {
    auto v = opt_int(key);
    if (!v) fail(key, "missing");
    if (*v < min_value) fail(key, "must be at least " + std::to_string(min_value) + ", found " + std::to_string(*v));
    return *v;
  }
  std::optional<float> opt_float(HKey key) const {
    const GgufValue* v = f.find(hparam_key(arch, key));
    if (!v) return std::nullopt;
    if (const auto* d = std::get_if<double>(&v->v)) return static_cast<float>(*d);
    fail(key, "expected a float, found " + std::string(gguf_type_name(v->type)));
  }
};

}  // namespace

HParams read_hparams(const GgufFile& f, std::string_view arch, const HParamNeeds& needs) {
  const Reader r{f, arch};
  HParams hp;
  hp.arch = std::string(arch);
  hp.n_embd = r.req_int(HKey::embedding_length);
  hp.n_layer = r.req_int(HKey::block_count);
  hp.n_head = r.req_int(HKey::head_count);
  hp.n_head_kv = r.opt_int(HKey::head_count_kv).value_or(hp.n_head);
  if (hp.n_head_kv < 1 || hp.n_head % hp.n_head_kv != 0)
    r.fail(HKey::head_count_kv, "must divide head_count (" + std::to_string(hp.n_head) + "), found " +
                                    std::to_string(hp.n_head_kv));
  if (!r.opt_int(HKey::key_length) && hp.n_embd % hp.n_head != 0)
    r.fail(HKey::key_length, "missing and embedding_length is not a multiple of head_count");
  hp.head_dim_k = r.opt_int(HKey::key_length).value_or(hp.n_embd / hp.n_head);
  hp.head_dim_v = r.opt_int(HKey::value_length).value_or(hp.n_embd / hp.n_head);
  if (hp.head_dim_k < 2 || hp.head_dim_k % 2) r.fail(HKey::key_length, "head dimension must be even and >= 2");
  if (hp.head_dim_v < 1) r.fail(HKey::value_length, "must be positive");
  hp.n_rot = r.opt_int(HKey::rope_dimension_count).value_or(hp.head_dim_k);
  if (hp.n_rot > hp.head_dim_k || hp.n_rot % 2)
    r.fail(HKey::rope_dimension_count, "must be even and at most the head dimension (" +
                                           std::to_string(hp.head_dim_k) + ")");
  hp.n_ctx_train = r.opt_int(HKey::context_length).value_or(4096);
  if (hp.n_ctx_train < 1) r.fail(HKey::context_length, "must be positive");

  hp.rms_eps = r.opt_float(HKey::rms_eps).value_or(0.0f);
  if (!(hp.rms_eps > 0.0f) || hp.rms_eps > 1e-1f)
    r.fail(HKey::rms_eps, f.has(hparam_key(arch, HKey::rms_eps)) ? "must be in (0, 0.1]" : "missing");
  hp.rope_freq_base = r.opt_float(HKey::rope_freq_base).value_or(10000.0f);
  if (!(hp.rope_freq_base > 1.0f) || !std::isfinite(hp.rope_freq_base))
    r.fail(HKey::rope_freq_base, "must be a finite value > 1");
  if (const GgufValue* st = f.find(hparam_key(arch, HKey::rope_scaling_type))) {
    const auto* s = std::get_if<std::string_view>(&st->v);
    if (!s) r.fail(HKey::rope_scaling_type, "expected a string");
    if (*s == "linear") {
      const float factor = r.opt_float(HKey::rope_scaling_factor).value_or(1.0f);
      if (!(factor > 0.0f)) r.fail(HKey::rope_scaling_factor, "must be positive");
      hp.rope_freq_scale = 1.0f / factor;
    } else if (*s != "none") {
      r.fail(HKey::rope_scaling_type, "'" + std::string(*s) + "' is not supported (none, linear)");
    }
  }

  hp.n_expert = needs.moe_required ? r.req_int(HKey::expert_count) : r.opt_int(HKey::expert_count).value_or(0);
  if (hp.n_expert > 0) {
    hp.n_expert_used = r.req_int(HKey::expert_used_count);
    if (hp.n_expert_used > hp.n_expert)
      r.fail(HKey::expert_used_count, "exceeds expert_count (" + std::to_string(hp.n_expert) + ")");
    hp.n_ff_exp = needs.expert_ff_key ? r.req_int(HKey::expert_feed_forward_length)
                                      : r.opt_int(HKey::expert_feed_forward_length)
                                            .value_or(r.req_int(HKey::feed_forward_length));
    if (needs.shared_ff_key) hp.n_ff_shexp = r.req_int(HKey::expert_shared_feed_forward_length);
    hp.n_ff = r.opt_int(HKey::feed_forward_length).value_or(0);
  } else {
    hp.n_ff = r.req_int(HKey::feed_forward_length);
  }
  return hp;
}

}  // namespace moe

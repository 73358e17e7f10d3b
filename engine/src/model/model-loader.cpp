// load_model(): open the GGUF, pick the architecture, read hyper-parameters, map the weights.
#include <fstream>
#include <set>
#include <thread>
#include <utility>

#include "model/model.hpp"
#include "model/tensor-loader.hpp"
#include "moe/errors.hpp"

namespace moe {

namespace {

int default_threads() {
  // Physical cores: with SMT two logical CPUs share a core, and a memory-bound decode gains
  // nothing from the second one. Linux sysfs names each CPU's (package, core); elsewhere fall
  // back to the logical count.
  std::set<std::pair<int, int>> cores;
  const unsigned logical = std::thread::hardware_concurrency();
  for (unsigned c = 0; c < logical; ++c) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/topology/";
    std::ifstream pkg(base + "physical_package_id"), core(base + "core_id");
    int p = -1, k = -1;
    if (pkg >> p && core >> k) cores.emplace(p, k);
  }
  const int n = cores.empty() ? static_cast<int>(logical) : static_cast<int>(cores.size());
  return std::max(1, n);
}

uint64_t count(const WeightView& w) { return static_cast<uint64_t>(w.n_in) * static_cast<uint64_t>(w.n_out); }

void fill_info(Model& m) {
  ModelInfo& i = m.info;
  const HParams& hp = m.hp;
  i.path = m.file->name();
  i.architecture = hp.arch;
  i.name = std::string(m.file->opt_string("general.name").value_or(""));
  if (i.name.empty()) i.name = std::filesystem::path(i.path).filename().string();
  i.n_layer = hp.n_layer;
  i.n_embd = hp.n_embd;
  i.n_head = hp.n_head;
  i.n_head_kv = hp.n_head_kv;
  i.head_dim = hp.head_dim_k;
  i.n_vocab = hp.n_vocab;
  i.n_ctx_train = hp.n_ctx_train;
  i.n_expert = hp.n_expert;
  i.n_expert_used = hp.n_expert_used;
  i.file_bytes = m.file->file_size();
  i.has_chat_template = m.file->has("tokenizer.chat_template");
  uint64_t total = count(m.weights.token_embd) + (m.weights.output.data != m.weights.token_embd.data
                                                      ? count(m.weights.output) : 0);
  uint64_t active = total;
  for (const LayerWeights& l : m.weights.layers) {
    uint64_t common = count(l.wq) + count(l.wk) + count(l.wv) + count(l.wo) + count(l.router) +
                      count(l.ffn_gate) + count(l.ffn_up) + count(l.ffn_down) + count(l.shexp_gate) +
                      count(l.shexp_up) + count(l.shexp_down);
    uint64_t one_expert = l.experts.empty() ? 0
                                            : count(l.experts[0].gate) + count(l.experts[0].up) +
                                                  count(l.experts[0].down);
    total += common + one_expert * l.experts.size();
    active += common + one_expert * static_cast<uint64_t>(hp.n_expert_used);
  }
  i.params_total = total;
  i.params_active = active;
}

}  // namespace

std::shared_ptr<const Model> load_model(const std::filesystem::path& path, const LoadOptions& opts,
                                        const ProgressFn& progress) {
  auto m = std::make_shared<Model>();
  m->file = GgufFile::open(path);
  const GgufFile& f = *m->file;
  const std::string arch_name(f.opt_string("general.architecture").value_or(""));
  if (arch_name.empty()) throw ModelError(f.name() + ": general.architecture: missing");
  m->arch = find_arch(arch_name);
  if (!m->arch) {
    std::string known;
    for (const ArchDef* a : all_archs()) known += (known.empty() ? "" : ", ") + std::string(a->name);
    throw ModelError(f.name() + ": general.architecture: '" + arch_name + "' is not supported (supported: " +
                     known + ")");
  }
  m->hp = read_hparams(f, arch_name, m->arch->needs);
  HParams& hp = m->hp;

  TensorLoader l(f, m->owned_);
  const TensorInfo* embd = f.find_tensor(tensor_name(Tn::token_embd));
  if (!embd) throw ModelError(f.name() + ": missing tensor '" + tensor_name(Tn::token_embd) + "'");
  hp.n_vocab = static_cast<int>(embd->ne[1]);
  ModelWeights& w = m->weights;
  w.token_embd = l.matrix(Tn::token_embd, -1, hp.n_embd, hp.n_vocab);
  w.output_norm = l.vector(Tn::output_norm, -1, hp.n_embd);
  w.output = l.matrix(Tn::output, -1, hp.n_embd, hp.n_vocab, /*required=*/false);
  if (!w.output) w.output = w.token_embd;  // tied embeddings

  w.layers.resize(static_cast<size_t>(hp.n_layer));
  for (int il = 0; il < hp.n_layer; ++il) {
    if (progress && !progress(static_cast<float>(il) / static_cast<float>(hp.n_layer)))
      throw CancelledError(f.name() + ": loading cancelled");
    m->arch->load_layer(l, hp, il, w.layers[static_cast<size_t>(il)]);
  }
  m->experts = std::make_unique<MappedExpertSource>(m->weights);

  if (f.has("tokenizer.ggml.model")) m->tokenizer = std::make_unique<Tokenizer>(f);
  // Token ids index the embedding rows and name the output columns: a vocabulary larger than
  // the matrices would read past them, a smaller one would sample ids the tokenizer lacks.
  if (m->tokenizer && m->tokenizer->n_tokens() != static_cast<size_t>(hp.n_vocab))
    throw ModelError(f.name() + ": tokenizer.ggml.tokens has " + std::to_string(m->tokenizer->n_tokens()) +
                     " entries but '" + tensor_name(Tn::token_embd) + "' has " + std::to_string(hp.n_vocab) +
                     " rows (one per token)");
  {
    ResolvedChatTemplate rt = resolve_chat_template(f.opt_string("tokenizer.chat_template"));
    m->chat_template = std::make_unique<ChatTemplate>(std::move(rt.chat_template));
    m->chat_template_note = rt.note;
  }

  if (opts.n_threads < 0) throw ConfigError("n_threads must be >= 0, got " + std::to_string(opts.n_threads));
  m->n_threads = opts.n_threads > 0 ? opts.n_threads : default_threads();
  m->arena_ = std::make_unique<tbb::task_arena>(m->n_threads);
  fill_info(*m);
  m->info.n_threads = m->n_threads;
  if (progress && !progress(1.0f)) throw CancelledError(f.name() + ": loading cancelled");
  return m;
}

const ModelInfo& model_info(const Model& model) { return model.info; }

}  // namespace moe

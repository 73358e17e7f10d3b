// ChatBackend over the engine's public API (moe/engine.hpp).
#include "moe/engine.hpp"
#include "moe/errors.hpp"
#include "moe/telemetry/hub.hpp"

#include "moe/ui/chat-backend.hpp"


#include <algorithm>
#include <mutex>

namespace moe::ui {
namespace {

KvType kvTypeFromName(const QString& name) {
  if (name.compare(QLatin1String("f32"), Qt::CaseInsensitive) == 0) return KvType::F32;
  if (name.compare(QLatin1String("q8_0"), Qt::CaseInsensitive) == 0) return KvType::Q8_0;
  return KvType::F16;
}

ModelSummary summarize(const ModelInfo& info) {
  ModelSummary m;
  m.path = QString::fromStdString(info.path);
  m.name = QString::fromStdString(info.name);
  m.architecture = QString::fromStdString(info.architecture);
  m.nLayer = info.n_layer;
  m.nEmbd = info.n_embd;
  m.nHead = info.n_head;
  m.nHeadKv = info.n_head_kv;
  m.nVocab = info.n_vocab;
  m.nCtxTrain = info.n_ctx_train;
  m.nExpert = info.n_expert;
  m.nExpertUsed = info.n_expert_used;
  m.paramsTotal = info.params_total;
  m.paramsActive = info.params_active;
  m.fileBytes = info.file_bytes;
  m.hasChatTemplate = info.has_chat_template;
  // The forward pass records routing, expert-cache and kernel events for MoE models whenever
  // telemetry is compiled in, so the panels wait for them.
  m.engineTelemetry = moe::tel::kCompiledIn && info.n_expert > 0;
  return m;
}

class EngineBackend final : public ChatBackend {
 public:
  ModelSummary load(const LoadRequest& request, const ProgressFn& progress) override {
    LoadOptions opts;
    opts.n_threads = request.threads;
    const std::filesystem::path path(request.path.toStdString());
    auto model = load_model(path, opts, progress);
    SessionOptions sopts;
    sopts.n_ctx = request.contextSize;
    sopts.kv_type = kvTypeFromName(request.kvType);
    auto session = create_session(model, sopts);
    const ModelInfo& info = model_info(*model);
    if (info.n_expert > 0) {
      MoeOptions moe = recommended_moe_options(info);
      if (request.expertBudgetMiB > 0) {
        moe.cache.budget_experts_per_layer = 0;
        moe.cache.budget_bytes = static_cast<uint64_t>(request.expertBudgetMiB) << 20;
      }
      if (!request.cachePolicy.isEmpty()) moe.cache.policy = cache_policy_from_name(request.cachePolicy.toStdString());
      moe.cache.prefetch = request.prefetch;
      moe.aware_margin = static_cast<float>(std::clamp(request.awareMarginPercent, 0, 99)) / 100.0f;
      session->set_moe_options(moe);
    }
    {
      std::lock_guard lock(mutex_);
      session_ = std::move(session);
      model_ = std::move(model);
    }
    return summarize(model_info(*model_));
  }

  ReplyStatsValue generate(const ChatRequest& request, const TokenFn& onToken) override {
    if (!session_) throw ConfigError("no model is loaded");
    GenerateRequest g;
    for (const ChatTurn& t : request.messages)
      g.messages.push_back({t.role.toStdString(), t.content.toStdString()});
    g.max_tokens = request.sampling.maxTokens;
    g.sampling.temperature = static_cast<float>(request.sampling.temperature);
    g.sampling.top_k = request.sampling.topK;
    g.sampling.top_p = static_cast<float>(request.sampling.topP);
    g.sampling.min_p = static_cast<float>(request.sampling.minP);
    g.sampling.repeat_penalty = static_cast<float>(request.sampling.repeatPenalty);
    g.sampling.seed = request.sampling.seed;
    // Each request carries the whole conversation, so the session starts from an empty KV cache.
    session_->reset();
    // Tokenized here (as generate() would) so the prompt's token texts can be reported too:
    // the routing of prompt positions then has words to show.
    const std::vector<int32_t> prompt = tokenize(*model_, render_chat(*model_, g.messages, true), true, true);
    for (size_t i = 0; i < prompt.size(); ++i) {
      const std::string piece = detokenize(*model_, std::span<const int32_t>(&prompt[i], 1));
      onToken({static_cast<int>(i), piece, true});
    }
    const ReplyStats s = session_->generate_tokens(
        prompt, g, [&](const TokenEvent& ev) { return onToken({ev.position, ev.text, false}); });
    ReplyStatsValue v;
    v.promptTokens = s.prompt_tokens;
    v.generatedTokens = s.generated_tokens;
    v.promptTokS = s.prompt_tok_s;
    v.decodeTokS = s.decode_tok_s;
    v.ttftMs = s.time_to_first_token_ms;
    v.stopReason = QString::fromLatin1(stop_reason_name(s.stop_reason).data(),
                                       static_cast<qsizetype>(stop_reason_name(s.stop_reason).size()));
    return v;
  }

  void cancel() noexcept override {
    std::lock_guard lock(mutex_);
    if (session_) session_->cancel();
  }

 private:
  // Guards the session pointer against cancel() from the GUI thread while load() swaps it.
  std::mutex mutex_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<Session> session_;
};

}  // namespace

std::unique_ptr<ChatBackend> makeEngineBackend() { return std::make_unique<EngineBackend>(); }

}  // namespace moe::ui

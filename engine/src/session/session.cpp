// Session: KV cache + scratch + sampler of one conversation; prefill/decode/generate.
#include <algorithm>
#include <atomic>
#include <chrono>

#include "model/forward-state.hpp"
#include "model/forward.hpp"
#include "model/model.hpp"
#include "moe/errors.hpp"
#include "session/kv-cache.hpp"
#include "session/sampler.hpp"
#include "session/stop-strings.hpp"
#include "session/text-io.hpp"

namespace moe {

std::string_view stop_reason_name(StopReason r) noexcept {
  switch (r) {
    case StopReason::none: return "none";
    case StopReason::eos: return "eos";
    case StopReason::max_tokens: return "max_tokens";
    case StopReason::stop_string: return "stop_string";
    case StopReason::cancelled: return "cancelled";
    case StopReason::context_full: return "context_full";
    case StopReason::error: return "error";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

int resolve_ctx(const HParams& hp, const SessionOptions& o) {
  if (o.n_ctx < 0) throw ConfigError("n_ctx must be >= 0, got " + std::to_string(o.n_ctx));
  return o.n_ctx > 0 ? o.n_ctx : std::min(hp.n_ctx_train, 4096);
}

class SessionImpl final : public Session {
 public:
  SessionImpl(std::shared_ptr<const Model> m, const SessionOptions& o)
      : model_(std::move(m)),
        hp_(model_->hp),
        n_ctx_(resolve_ctx(hp_, o)),
        n_batch_(std::clamp(o.n_batch, 1, n_ctx_)),
        kv_(hp_, n_ctx_, o.kv_type),
        st_(hp_, n_batch_, n_ctx_, model_->n_threads),
        logits_(static_cast<size_t>(hp_.n_vocab)),
        sampler_(hp_.n_vocab, SamplingParams{}),
        text_(*model_) {
    if (o.n_batch < 1) throw ConfigError("n_batch must be >= 1, got " + std::to_string(o.n_batch));
    tokens_.reserve(static_cast<size_t>(n_ctx_));
  }

  const Model& model() const noexcept override { return *model_; }
  int n_ctx() const noexcept override { return n_ctx_; }
  int n_past() const noexcept override { return static_cast<int>(tokens_.size()); }
  void cancel() noexcept override { cancel_.store(true, std::memory_order_relaxed); }
  void reset() override { tokens_.clear(); }

  std::vector<float> evaluate(std::span<const int32_t> tokens, bool one_batch) override {
    check_fits(tokens);
    const auto V = static_cast<size_t>(hp_.n_vocab);
    std::vector<float> out(tokens.size() * V);
    const size_t step = one_batch ? static_cast<size_t>(n_batch_) : 1;
    for (size_t i = 0; i < tokens.size(); i += step) {
      const size_t n = std::min(step, tokens.size() - i);
      run(tokens.subspan(i, n), out.data() + i * V, true);
    }
    return out;
  }

  // HOT SPOT: decode calls this with one token per step.
  std::span<const float> eval(std::span<const int32_t> tokens) override {
    check_fits(tokens);
    for (size_t i = 0; i < tokens.size(); i += static_cast<size_t>(n_batch_)) {
      const size_t n = std::min(static_cast<size_t>(n_batch_), tokens.size() - i);
      run(tokens.subspan(i, n), logits_.data(), false);
    }
    return logits_;
  }

  ReplyStats generate(const GenerateRequest& req, const TokenCallback& cb) override {
    const std::string text = req.messages.empty() ? req.prompt : render_chat(*model_, req.messages, true);
    std::vector<int32_t> prompt = tokenize(*model_, text, true, true);
    // Reuse the KV cache for the part of the conversation already in it.
    size_t common = 0;
    while (common < tokens_.size() && common < prompt.size() && tokens_[common] == prompt[common]) ++common;
    if (common == prompt.size() && common > 0) --common;  // the last prompt token must be evaluated
    tokens_.resize(common);
    return generate_tokens(std::span<const int32_t>(prompt).subspan(common), req, cb);
  }

  ReplyStats generate_tokens(std::span<const int32_t> prompt, const GenerateRequest& req,
                             const TokenCallback& cb) override {
    ReplyStats s;
    cancel_.store(false, std::memory_order_relaxed);
    s.prompt_tokens = static_cast<int>(prompt.size());
    if (prompt.empty()) throw ConfigError("generate: the prompt is empty");
    if (tokens_.size() + prompt.size() > static_cast<size_t>(n_ctx_)) {
      s.stop_reason = StopReason::context_full;
      return s;
    }
    for (int32_t t : prompt) check_token(t);
    sampler_.reset(req.sampling);
    const size_t hist = static_cast<size_t>(std::max(req.sampling.penalty_last_n, 0));
    for (size_t i = tokens_.size() > hist ? tokens_.size() - hist : 0; i < tokens_.size(); ++i)
      sampler_.accept(tokens_[i]);
    for (int32_t t : prompt) sampler_.accept(t);
    text_.reset();
    StopStrings stops(req.stop_strings);

    const auto t0 = Clock::now();
    std::span<const float> logits = eval(prompt);
    const double prefill_ms = ms_since(t0);
    s.prompt_tok_s = prefill_ms > 0 ? 1000.0 * static_cast<double>(prompt.size()) / prefill_ms : 0.0;

    double decode_ms = 0.0;
    int decode_steps = 0;
    while (true) {
      if (cancel_.load(std::memory_order_relaxed)) { s.stop_reason = StopReason::cancelled; break; }
      const int32_t tok = sampler_.sample(logits.data());
      if (s.generated_tokens == 0) s.time_to_first_token_ms = ms_since(t0);
      ++s.generated_tokens;
      sampler_.accept(tok);
      if (is_eog(*model_, tok)) { s.stop_reason = StopReason::eos; break; }
      const bool last = s.generated_tokens >= req.max_tokens || n_past() >= n_ctx_;
      const std::string_view piece = text_.push(tok);
      const StopStrings::Result sr = stops.push(piece, last);
      const TokenEvent ev{tok, n_past(), sr.emit};
      if (cb && !cb(ev)) { s.stop_reason = StopReason::cancelled; break; }
      if (sr.matched) { s.stop_reason = StopReason::stop_string; break; }
      if (s.generated_tokens >= req.max_tokens) { s.stop_reason = StopReason::max_tokens; break; }
      if (n_past() >= n_ctx_) { s.stop_reason = StopReason::context_full; break; }
      const auto td = Clock::now();
      logits = eval(std::span<const int32_t>(&tok, 1));
      decode_ms += ms_since(td);
      ++decode_steps;
    }
    s.decode_tok_s = decode_ms > 0 ? 1000.0 * decode_steps / decode_ms : 0.0;
    return s;
  }

 private:
  void check_token(int32_t t) const {
    if (t < 0 || t >= hp_.n_vocab)
      throw ConfigError("token id " + std::to_string(t) + " is outside the vocabulary (0.." +
                        std::to_string(hp_.n_vocab - 1) + ")");
  }
  void check_fits(std::span<const int32_t> tokens) const {
    if (tokens.empty()) throw ConfigError("no tokens to evaluate");
    if (tokens_.size() + tokens.size() > static_cast<size_t>(n_ctx_))
      throw ConfigError("context full: " + std::to_string(tokens_.size()) + " + " + std::to_string(tokens.size()) +
                        " tokens exceed n_ctx " + std::to_string(n_ctx_));
    for (int32_t t : tokens) check_token(t);
  }
  void run(std::span<const int32_t> tokens, float* logits, bool all) {
    ForwardArgs a;
    a.tokens = tokens.data();
    a.n_tok = static_cast<int>(tokens.size());
    a.pos0 = n_past();
    a.logits = logits;
    a.all_logits = all;
    forward(*model_, st_, kv_, a);
    tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());  // capacity n_ctx: no allocation
  }

  std::shared_ptr<const Model> model_;
  const HParams& hp_;
  int n_ctx_;
  int n_batch_;
  KvCache kv_;
  ForwardState st_;
  std::vector<float> logits_;    // (n_vocab) logits of the last evaluated token
  std::vector<int32_t> tokens_;  // (n_past) ids in the KV cache, capacity n_ctx
  Sampler sampler_;
  TextStream text_;
  std::atomic<bool> cancel_{false};
};

}  // namespace

std::unique_ptr<Session> create_session(std::shared_ptr<const Model> model, const SessionOptions& opts) {
  if (!model) throw ConfigError("create_session: no model");
  return std::make_unique<SessionImpl>(std::move(model), opts);
}

}  // namespace moe

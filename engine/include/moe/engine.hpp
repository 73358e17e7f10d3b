#pragma once
// The engine's public API edge: load a model, open a session, generate with a token callback.
// Everything here is a value type or a handle; exceptions from inside the engine arrive as
// moe::Error subclasses whose what() is a message fit for the user.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

class Model;    // immutable after load; shared read-only by sessions
class Session;  // one conversation + its KV cache; used by one thread at a time

// ---- loading ---------------------------------------------------------------------------
struct LoadOptions {
  int n_threads = 0;  // compute threads of the engine's task arena; 0 = physical cores
};
// Called during loading with a fraction in [0, 1]; return false to cancel (CancelledError).
using ProgressFn = std::function<bool(float fraction)>;

struct ModelInfo {
  std::string path;
  std::string name;          // general.name or the file name
  std::string architecture;  // general.architecture
  int n_layer = 0, n_embd = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  int n_vocab = 0, n_ctx_train = 0;
  int n_expert = 0, n_expert_used = 0;  // 0 for dense models
  uint64_t params_total = 0, params_active = 0;  // active = per token (attention + router + k experts)
  uint64_t file_bytes = 0;
  bool has_chat_template = false;
  int n_threads = 0;  // threads of the model's task arena
};

std::shared_ptr<const Model> load_model(const std::filesystem::path& path, const LoadOptions& opts = {},
                                        const ProgressFn& progress = {});
const ModelInfo& model_info(const Model& model);

// ---- sessions ----------------------------------------------------------------------------
enum class KvType { F16, F32, Q8_0 };

struct SessionOptions {
  int n_ctx = 0;  // 0 = the model's training context (capped to 4096 by default)
  KvType kv_type = KvType::F16;
  int n_batch = 512;  // most prompt tokens per forward pass (prefill is chunked by this)
};

struct SamplingParams {
  float temperature = 0.7f;  // 0 = greedy
  int top_k = 40;            // 0 = off
  float top_p = 0.95f;       // 1 = off
  float min_p = 0.05f;       // 0 = off
  float repeat_penalty = 1.1f;  // 1 = off
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int penalty_last_n = 64;
  uint64_t seed = 0;  // 0 = random
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

struct GenerateRequest {
  // Either a conversation rendered with the model's chat template (ChatML when it has none)...
  std::vector<ChatMessage> messages;
  // ...or a raw prompt (used when messages is empty), tokenized with special-token parsing.
  std::string prompt;
  int max_tokens = 512;
  SamplingParams sampling;
  std::vector<std::string> stop_strings;
};

enum class StopReason { none, eos, max_tokens, stop_string, cancelled, context_full, error };
std::string_view stop_reason_name(StopReason r) noexcept;

struct ReplyStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  double prompt_tok_s = 0.0;
  double decode_tok_s = 0.0;
  double time_to_first_token_ms = 0.0;
  StopReason stop_reason = StopReason::none;
};

struct TokenEvent {
  int32_t token = 0;
  int position = 0;       // position in the context
  std::string_view text;  // complete UTF-8 text this token released (may be empty)
};
// Return false to stop generating (same as cancel()).
using TokenCallback = std::function<bool(const TokenEvent&)>;

std::unique_ptr<Session> create_session(std::shared_ptr<const Model> model, const SessionOptions& opts = {});

class Session {
 public:
  virtual ~Session() = default;
  virtual const Model& model() const noexcept = 0;
  // Renders the chat template (or takes the raw prompt), prefills, then decodes until a stop.
  virtual ReplyStats generate(const GenerateRequest& request, const TokenCallback& on_token) = 0;
  // Thread-safe: the running generate() returns within one token with StopReason::cancelled.
  virtual void cancel() noexcept = 0;
  // Forgets the conversation (empties the KV cache).
  virtual void reset() = 0;

  // ---- token-level access (CLI, tests, benchmarks) -------------------------------------
  // Context size in tokens and tokens already in the KV cache.
  virtual int n_ctx() const noexcept = 0;
  virtual int n_past() const noexcept = 0;
  // Appends `tokens` to the context and returns the logits of every one of them,
  // [tokens.size()][n_vocab] row-major. one_batch = false feeds them one per forward pass.
  // Throws ConfigError when they do not fit the context or an id is out of range.
  virtual std::vector<float> evaluate(std::span<const int32_t> tokens, bool one_batch = true) = 0;
  // Appends `tokens` (prefill in chunks of n_batch) and returns the last token's logits
  // (n_vocab), valid until the next call. Allocates nothing: this is the decode hot path.
  virtual std::span<const float> eval(std::span<const int32_t> tokens) = 0;
  // generate() on already tokenized input: prompt ids are appended to the context.
  // When the context is full, generation stops with StopReason::context_full (a prompt that
  // does not fit stops before generating anything).
  virtual ReplyStats generate_tokens(std::span<const int32_t> prompt, const GenerateRequest& request,
                                     const TokenCallback& on_token) = 0;
};

// Tokenization with the model's vocabulary (special-token texts become control tokens when
// parse_special). detokenize() concatenates pieces (control tokens rendered as their text).
std::vector<int32_t> tokenize(const Model& model, std::string_view text, bool add_special = true,
                              bool parse_special = true);
std::string detokenize(const Model& model, std::span<const int32_t> tokens);
// Renders messages with the model's chat template (ChatML when it has none).
std::string render_chat(const Model& model, const std::vector<ChatMessage>& messages,
                        bool add_generation_prompt = true);

}  // namespace moe

#pragma once
// What the worker needs from an inference engine. The app uses EngineBackend (moe::Session);
// tests substitute a scripted backend so the threading and UI can be tested without a model.
// Every method except cancel() runs on the worker thread.
#include "moe/ui/chat-types.hpp"

#include <functional>
#include <memory>
#include <string_view>

namespace moe::ui {

class ChatBackend {
 public:
  virtual ~ChatBackend() = default;
  using ProgressFn = std::function<bool(float fraction)>;  // false = cancel the load
  // One token of the context: the prompt's tokens first (prompt = true; the return value is
  // ignored), then each generated token as it is sampled (false = stop generating).
  struct TokenPiece {
    int position = 0;       // position in the context, as the engine's routing events name it
    std::string_view utf8;  // the text the token released (may be empty)
    bool prompt = false;
  };
  using TokenFn = std::function<bool(const TokenPiece& piece)>;

  // Loads a model; throws std::exception whose what() is a message fit for the user.
  virtual ModelSummary load(const LoadRequest& request, const ProgressFn& progress) = 0;
  // Generates one reply to the whole conversation in `request`; throws on engine errors.
  virtual ReplyStatsValue generate(const ChatRequest& request, const TokenFn& onToken) = 0;
  // Thread-safe, callable from any thread: the running generate() returns within one token.
  virtual void cancel() noexcept = 0;
};

using BackendFactory = std::function<std::unique_ptr<ChatBackend>()>;

// The real engine behind moe/engine.hpp.
std::unique_ptr<ChatBackend> makeEngineBackend();

}  // namespace moe::ui

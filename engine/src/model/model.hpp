#pragma once
// The loaded model: the GGUF mapping, hyper-parameters, weight views, the architecture's
// builder and the engine's task arena. Immutable after load_model(); sessions share it.
#include <oneapi/tbb/task_arena.h>

#include <deque>
#include <memory>
#include <vector>

#include "model/arch.hpp"
#include "model/hparams.hpp"
#include "model/weights.hpp"
#include "moe/chat-template.hpp"
#include "moe/engine.hpp"
#include "moe/gguf.hpp"
#include "moe/tokenizer.hpp"
#include "moe/expert-source.hpp"

namespace moe {

class Model {
 public:
  std::shared_ptr<const GgufFile> file;
  HParams hp;
  const ArchDef* arch = nullptr;
  ModelWeights weights;
  ModelInfo info;
  std::unique_ptr<ExpertSource> experts;
  int n_threads = 1;
  std::unique_ptr<const Tokenizer> tokenizer;       // null when the file has no tokenizer.ggml.*
  std::unique_ptr<const ChatTemplate> chat_template;  // the model's, or ChatML
  std::string chat_template_note;                  // why ChatML is used, when it is

  // All compute parallelism runs inside this arena (the only threads the engine creates).
  // task_arena::execute is not const; the arena is shared state by design.
  tbb::task_arena& arena() const noexcept { return *arena_; }

 private:
  friend std::shared_ptr<const Model> load_model(const std::filesystem::path&, const LoadOptions&,
                                                 const ProgressFn&);
  std::unique_ptr<tbb::task_arena> arena_;
  std::deque<std::vector<float>> owned_;  // f32 copies of non-f32 norm/bias vectors
};

}  // namespace moe

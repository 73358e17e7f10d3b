#pragma once
// Tokenizers read from GGUF metadata, token-for-token identical to llama.cpp (llama-vocab.cpp):
// SentencePiece-style score merging (`tokenizer.ggml.model = llama`) and byte-level BPE with
// llama.cpp's per-model pre-tokenizer regexes (`tokenizer.ggml.model = gpt2`).
//
// A Tokenizer is immutable after construction; tokenize/detokenize are const and safe to call
// from several threads at once. A StreamingDetokenizer is per conversation (one thread).
//
// An unknown `tokenizer.ggml.pre` (llama.cpp refuses those files) is accepted with a warning:
// the default pre-tokenizer regexes (GPT-2 rules plus punctuation and digit splits) are used and
// VocabInfo::pre_known is false. A missing `tokenizer.ggml.pre` means "default", as in llama.cpp.
// Extra names beyond llama.cpp's: "gpt2" (= "gpt-2") and "gpt-neox" (= "mpt").
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace moe {

class GgufFile;

using TokenId = int32_t;
inline constexpr TokenId kNoToken = -1;

enum class VocabType { spm, bpe };

// tokenizer.ggml.token_type values (llama_token_type).
enum class TokenType : int32_t {
  undefined = 0, normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6,
};

// Token attribute bits, numerically identical to llama_token_attr.
namespace token_attr {
inline constexpr uint32_t undefined = 0;
inline constexpr uint32_t unknown = 1u << 0;
inline constexpr uint32_t unused = 1u << 1;
inline constexpr uint32_t normal = 1u << 2;
inline constexpr uint32_t control = 1u << 3;
inline constexpr uint32_t user_defined = 1u << 4;
inline constexpr uint32_t byte = 1u << 5;
inline constexpr uint32_t lstrip = 1u << 7;
inline constexpr uint32_t rstrip = 1u << 8;
}  // namespace token_attr

// The pre-tokenizer families llama.cpp distinguishes (LLAMA_VOCAB_PRE_TYPE_*). Several
// `tokenizer.ggml.pre` names map to one family (e.g. llama3 / llama-v3 / llama-bpe -> llama3).
enum class PreTokenizer {
  default_, llama3, deepseek_llm, deepseek_coder, falcon, mpt, starcoder, gpt2, refact,
  command_r, qwen2, olmo, stablelm2, dbrx, smaug, poro, chatglm4, viking, bloom, smollm,
  codeshell, exaone, minerva, tekken,
};
std::string_view pre_tokenizer_name(PreTokenizer p) noexcept;

struct TokenData {
  std::string text;  // as stored in the GGUF (SPM: ▁ for space; BPE: byte-to-unicode encoded)
  float score = 0.0f;
  uint32_t attr = token_attr::normal;
};

// Everything read from tokenizer.ggml.*; validated at construction.
struct VocabInfo {
  VocabType type = VocabType::spm;
  std::string model;           // tokenizer.ggml.model
  std::string pre;             // tokenizer.ggml.pre as stored ("" if absent)
  PreTokenizer pre_type = PreTokenizer::default_;
  bool pre_known = true;       // false: unknown pre name, fell back to the default regexes
  TokenId bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken;
  TokenId unk = kNoToken, pad = kNoToken, sep = kNoToken;
  bool add_bos = false, add_eos = false;
  bool add_space_prefix = false;
  bool clean_spaces = false;   // detokenize: " ," -> "," etc. (llama.cpp's clean_up_tokenization)
  bool ignore_merges = false;  // BPE: a whole pre-token that is a vocab entry is used as is
};

class Tokenizer {
 public:
  // Reads the tokenizer from a GGUF's metadata; throws TokenizerError "<file>: <key>: <problem>".
  explicit Tokenizer(const GgufFile& gguf);
  static std::shared_ptr<const Tokenizer> load(const std::filesystem::path& gguf_path);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: BOS/EOS as the metadata's add_bos/add_eos say. parse_special: control and
  // unknown token texts in `text` become those tokens (user-defined tokens always do).
  // Never throws on any input bytes (invalid UTF-8 is handled as llama.cpp does).
  std::vector<TokenId> tokenize(std::string_view text, bool add_special = true,
                                bool parse_special = false) const;

  // The bytes one token stands for. special=false hides control/unknown tokens (empty string).
  // lstrip: remove up to that many leading spaces (llama.cpp's SPM leading-space rule).
  std::string token_to_piece(TokenId id, bool special = true, int lstrip = 0) const;

  struct DetokenizeOptions {
    bool remove_special = false;   // drop a leading BOS / trailing EOS the metadata adds
    bool unparse_special = false;  // render control tokens as their text
    bool clean_spaces = false;     // apply the vocab's clean_spaces rule (llama_detokenize)
  };
  // Pieces concatenated; the first piece loses its leading space when add_space_prefix.
  std::string detokenize(std::span<const TokenId> ids, const DetokenizeOptions& opts) const;
  std::string detokenize(std::span<const TokenId> ids) const { return detokenize(ids, DetokenizeOptions{}); }

  bool is_eog(TokenId id) const noexcept;  // EOS, EOT, EOM and llama.cpp's end-of-generation texts
  bool is_control(TokenId id) const noexcept;
  bool is_byte(TokenId id) const noexcept;
  const std::vector<TokenId>& eog_ids() const noexcept { return eog_; }

  size_t n_tokens() const noexcept { return tokens_.size(); }
  const TokenData& token(TokenId id) const { return tokens_.at(static_cast<size_t>(id)); }
  std::optional<TokenId> find_token(std::string_view text) const noexcept;
  // The token standing for one raw byte (SPM: <0xNN>, else the byte's own text; BPE: its
  // byte-level character); kNoToken if the vocabulary has none.
  TokenId byte_token(uint8_t byte) const noexcept;
  const VocabInfo& info() const noexcept { return info_; }
  const std::string& source_name() const noexcept { return source_; }

  // Implementation pieces shared by the tokenizer's source files.
  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  void load_tokens(const GgufFile& gguf);
  void load_special(const GgufFile& gguf);
  void detect_text_specials();

  std::string source_;
  VocabInfo info_;
  std::vector<TokenData> tokens_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, TokenId, Hash, std::equal_to<>> text_to_id_;
  std::vector<TokenId> special_cache_;  // control/user-defined/unknown, longest text first
  std::vector<TokenId> eog_;
  bool phi3_rstrip_ = false;
  std::unique_ptr<Impl> impl_;
};

// Turns a stream of generated ids into text that is always valid UTF-8: bytes of a character
// split over several tokens are held back until the character is whole; bytes that can never
// form a character become U+FFFD. The first piece loses one leading space when the vocabulary
// adds a space prefix (SPM), as llama_detokenize does; control tokens are hidden unless asked.
class StreamingDetokenizer {
 public:
  struct Options {
    bool show_special = false;  // render control tokens (e.g. "<|im_end|>") instead of hiding them
    std::optional<bool> strip_leading_space;  // default: the vocab's add_space_prefix
  };
  explicit StreamingDetokenizer(const Tokenizer& tok) : StreamingDetokenizer(tok, Options{}) {}
  StreamingDetokenizer(const Tokenizer& tok, const Options& opts);

  // Returns the newly completed text (possibly empty).
  std::string feed(TokenId id);
  // Whatever is still held back (an incomplete character at the very end) as U+FFFD, then reset.
  std::string flush();
  void reset();
  size_t pending_bytes() const noexcept { return pending_.size(); }

 private:
  const Tokenizer* tok_;
  Options opts_;
  bool first_ = true;
  std::string pending_;
};

namespace fuzz {
// Tokenizes arbitrary bytes with both special-parsing modes and detokenizes the result; never
// crashes or throws. Returns the number of tokens of the parse_special=true pass.
size_t tokenize_bytes(const Tokenizer& tok, std::span<const std::byte> bytes);
}  // namespace fuzz

}  // namespace moe

// Reading and validating tokenizer.ggml.* (llama_vocab::impl::load in llama.cpp).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"
#include "moe/tokenizer.hpp"
#include "tokenizer/pre-tokenizer.hpp"
#include "tokenizer/tokenizer-impl.hpp"
#include "tokenizer/unicode-util.hpp"

namespace moe {

namespace {

// GGUF keys, one table instead of loose strings.
namespace key {
constexpr const char* model = "tokenizer.ggml.model";
constexpr const char* pre = "tokenizer.ggml.pre";
constexpr const char* tokens = "tokenizer.ggml.tokens";
constexpr const char* scores = "tokenizer.ggml.scores";
constexpr const char* token_type = "tokenizer.ggml.token_type";
constexpr const char* merges = "tokenizer.ggml.merges";
constexpr const char* add_bos = "tokenizer.ggml.add_bos_token";
constexpr const char* add_eos = "tokenizer.ggml.add_eos_token";
constexpr const char* add_space_prefix = "tokenizer.ggml.add_space_prefix";
}  // namespace key

uint32_t attr_from_type(int32_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::unknown: return token_attr::unknown;
    case TokenType::unused: return token_attr::unused;
    case TokenType::normal: return token_attr::normal;
    case TokenType::control: return token_attr::control;
    case TokenType::user_defined: return token_attr::user_defined;
    case TokenType::byte: return token_attr::byte;
    case TokenType::undefined: break;
  }
  return token_attr::undefined;
}

// Texts llama.cpp treats as end-of-generation (and forces to control type) when present.
constexpr std::array kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>",
    "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
};
constexpr std::array kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
    "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
// Fill-in-the-middle markers: forced to control type; pad/repo/sep also end generation.
constexpr std::array kFimTexts = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
};
constexpr std::array kFimEogTexts = {
    "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
    "<reponame>", "<|file_sep|>", "<file_sep>",
};

std::string lowercase(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

}  // namespace

std::string_view pre_tokenizer_name(PreTokenizer p) noexcept {
  switch (p) {
    case PreTokenizer::default_: return "default";
    case PreTokenizer::llama3: return "llama3";
    case PreTokenizer::deepseek_llm: return "deepseek-llm";
    case PreTokenizer::deepseek_coder: return "deepseek-coder";
    case PreTokenizer::falcon: return "falcon";
    case PreTokenizer::mpt: return "mpt";
    case PreTokenizer::starcoder: return "starcoder";
    case PreTokenizer::gpt2: return "gpt-2";
    case PreTokenizer::refact: return "refact";
    case PreTokenizer::command_r: return "command-r";
    case PreTokenizer::qwen2: return "qwen2";
    case PreTokenizer::olmo: return "olmo";
    case PreTokenizer::stablelm2: return "stablelm2";
    case PreTokenizer::dbrx: return "dbrx";
    case PreTokenizer::smaug: return "smaug-bpe";
    case PreTokenizer::poro: return "poro-chat";
    case PreTokenizer::chatglm4: return "chatglm-bpe";
    case PreTokenizer::viking: return "viking";
    case PreTokenizer::bloom: return "bloom";
    case PreTokenizer::smollm: return "smollm";
    case PreTokenizer::codeshell: return "codeshell";
    case PreTokenizer::exaone: return "exaone";
    case PreTokenizer::minerva: return "minerva-7b";
    case PreTokenizer::tekken: return "tekken";
  }
  return "?";
}

Tokenizer::Tokenizer(const GgufFile& gguf) : source_(gguf.name()), impl_(std::make_unique<Impl>()) {
  const auto fail = [&](const char* k, const std::string& what) {
    throw TokenizerError(source_ + ": " + k + ": " + what);
  };
  const auto model = gguf.opt_string(key::model);
  if (!model) fail(key::model, "missing (the file has no tokenizer)");
  info_.model = std::string(*model);
  if (info_.model == "llama") {
    info_.type = VocabType::spm;
    info_.add_space_prefix = true;
    info_.clean_spaces = false;
    info_.add_bos = true;
    info_.add_eos = false;
  } else if (info_.model == "gpt2") {
    info_.type = VocabType::bpe;
    info_.add_space_prefix = false;
  } else {
    fail(key::model, "unsupported tokenizer model '" + info_.model + "' (supported: llama, gpt2)");
  }

  try {
    load_tokens(gguf);
    load_special(gguf);
  } catch (const GgufError& e) {
    // A wrongly typed key: the reader's message names the file and the key already.
    throw TokenizerError(e.what());
  }
  detect_text_specials();
  if (info_.type == VocabType::bpe) impl_->splitter = std::make_unique<tok::RegexSplitter>(info_.pre_type);
  if (info_.type == VocabType::spm) {
    static constexpr std::string_view space = "\xE2\x96\x81";
    impl_->spm_split_at_words = std::none_of(tokens_.begin(), tokens_.end(), [](const TokenData& t) {
      const std::string_view s = t.text;
      if (!tok::is_strict_utf8(s)) return true;  // could hold the tail of a malformed symbol
      for (size_t k = s.find(space, 1); k != std::string_view::npos; k = s.find(space, k + 1))
        if (k < 3 || s.substr(k - 3, 3) != space) return true;
      return false;
    });
  }
}

Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::filesystem::path& gguf_path) {
  const auto gguf = GgufFile::open(gguf_path);
  return std::make_shared<const Tokenizer>(*gguf);
}

void Tokenizer::load_tokens(const GgufFile& gguf) {
  const auto fail = [&](const char* k, const std::string& what) {
    throw TokenizerError(source_ + ": " + k + ": " + what);
  };
  if (!gguf.has(key::tokens)) fail(key::tokens, "missing");
  const std::vector<std::string_view> texts = gguf.get_string_array(key::tokens);
  if (texts.empty()) fail(key::tokens, "empty vocabulary");
  if (texts.size() > static_cast<size_t>(INT32_MAX)) fail(key::tokens, "too many tokens");
  std::vector<float> scores;
  if (gguf.has(key::scores)) {
    scores = gguf.get_f32_array(key::scores);
    if (scores.size() != texts.size())
      fail(key::scores, std::to_string(scores.size()) + " scores for " + std::to_string(texts.size()) + " tokens");
  }
  std::vector<int32_t> types;
  if (gguf.has(key::token_type)) {
    types = gguf.get_i32_array(key::token_type);
    if (types.size() != texts.size())
      fail(key::token_type, std::to_string(types.size()) + " types for " + std::to_string(texts.size()) + " tokens");
  }
  tokens_.resize(texts.size());
  text_to_id_.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    TokenData& t = tokens_[i];
    t.text = std::string(texts[i]);
    t.score = scores.empty() ? 0.0f : scores[i];
    t.attr = types.empty() ? token_attr::normal : attr_from_type(types[i]);
    text_to_id_[t.text] = static_cast<TokenId>(i);  // a repeated text maps to its last id, as in llama.cpp
  }

  if (info_.type != VocabType::bpe) return;
  if (!gguf.has(key::merges)) fail(key::merges, "missing (required for a gpt2 tokenizer)");
  const std::vector<std::string_view> merges = gguf.get_string_array(key::merges);
  impl_->bpe_ranks.reserve(merges.size());
  std::string k;
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string_view m = merges[i];
    const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    k.clear();
    if (sp != std::string_view::npos) {
      k.append(m.substr(0, sp));
      k += '\xFF';
      k.append(m.substr(sp + 1));
    } else {
      k += '\xFF';  // llama.cpp ranks an unsplittable line as ("", ""): it can never apply
    }
    impl_->bpe_ranks.emplace(k, static_cast<int>(i));  // first occurrence keeps its rank
  }

  info_.clean_spaces = true;
  const auto pre = gguf.opt_string(key::pre);
  info_.pre = pre ? std::string(*pre) : std::string();
  if (const auto p = tok::pre_tokenizer_from_name(info_.pre)) {
    info_.pre_type = p->type;
    info_.ignore_merges = p->ignore_merges;
    info_.clean_spaces = p->clean_spaces;
    info_.add_bos = p->add_bos;
    if (info_.pre.empty())
      spdlog::warn("{}: {} missing; using the default pre-tokenizer regexes", source_, key::pre);
  } else {
    // llama.cpp refuses such a file; tokenizing with the generic regexes is more useful, and
    // usually right for GPT-2-like vocabularies.
    info_.pre_known = false;
    info_.pre_type = PreTokenizer::default_;
    spdlog::warn("{}: {}: unknown pre-tokenizer '{}'; falling back to the default (GPT-2) regexes, "
                 "tokens may differ from llama.cpp",
                 source_, key::pre, info_.pre);
  }
}

void Tokenizer::load_special(const GgufFile& gguf) {
  const auto n = static_cast<uint64_t>(tokens_.size());
  const auto in_range = [&](TokenId id) { return id >= 0 && static_cast<uint64_t>(id) < n ? id : kNoToken; };
  if (info_.type == VocabType::spm) {
    info_.bos = in_range(1);
    info_.eos = in_range(2);
    info_.unk = in_range(0);
  } else {
    info_.bos = in_range(11);
    info_.eos = in_range(11);
  }
  const std::array<std::pair<const char*, TokenId*>, 7> ids = {{
      {"tokenizer.ggml.bos_token_id", &info_.bos},
      {"tokenizer.ggml.eos_token_id", &info_.eos},
      {"tokenizer.ggml.eot_token_id", &info_.eot},
      {"tokenizer.ggml.eom_token_id", &info_.eom},
      {"tokenizer.ggml.unknown_token_id", &info_.unk},
      {"tokenizer.ggml.seperator_token_id", &info_.sep},
      {"tokenizer.ggml.padding_token_id", &info_.pad},
  }};
  for (const auto& [k, dst] : ids) {
    const auto v = gguf.opt_u32(k);
    if (!v) continue;
    if (*v >= n)
      throw TokenizerError(source_ + ": " + k + ": token id " + std::to_string(*v) + " out of range (vocabulary has " +
                           std::to_string(n) + " tokens)");
    *dst = static_cast<TokenId>(*v);
  }
  if (const auto v = gguf.opt_bool(key::add_space_prefix)) info_.add_space_prefix = *v;
  if (const auto v = gguf.opt_bool(key::add_bos)) info_.add_bos = *v;
  if (const auto v = gguf.opt_bool(key::add_eos)) info_.add_eos = *v;
  if (info_.add_bos && info_.bos == kNoToken)
    throw TokenizerError(source_ + ": " + key::add_bos + ": BOS requested but the vocabulary has no BOS token");
  if (info_.add_eos && info_.eos == kNoToken)
    throw TokenizerError(source_ + ": " + key::add_eos + ": EOS requested but the vocabulary has no EOS token");

  // Model-specific attributes llama.cpp sets by name: Phi-3 special tokens eat spaces after them.
  const std::string name = lowercase(gguf.opt_string("general.name").value_or(""));
  phi3_rstrip_ = name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos;
}

void Tokenizer::detect_text_specials() {
  const auto lookup = [&](std::string_view text) { return find_token(text).value_or(kNoToken); };
  const auto force_control = [&](TokenId id) {
    uint32_t& a = tokens_[static_cast<size_t>(id)].attr;
    if (!(a & token_attr::control)) {
      spdlog::debug("{}: token {} '{}' looks like a control token; treating it as one", source_, id,
                    tokens_[static_cast<size_t>(id)].text);
      a = token_attr::control;
    }
  };
  if (info_.eot == kNoToken) {
    // llama.cpp takes the first hit of a hash-map walk; the lowest id is the deterministic choice.
    for (const char* t : kEotTexts) {
      const TokenId id = lookup(t);
      if (id != kNoToken && (info_.eot == kNoToken || id < info_.eot)) info_.eot = id;
    }
    if (info_.eot != kNoToken) force_control(info_.eot);
  }
  if (info_.eom == kNoToken) {
    info_.eom = lookup("<|eom_id|>");
    if (info_.eom != kNoToken) force_control(info_.eom);
  }
  for (const char* t : kFimTexts)
    if (const TokenId id = lookup(t); id != kNoToken) force_control(id);
  std::vector<TokenId> eog;
  for (const char* t : kFimEogTexts)
    if (const TokenId id = lookup(t); id != kNoToken) {
      force_control(id);
      eog.push_back(id);
    }
  for (const char* t : kEogTexts)
    if (const TokenId id = lookup(t); id != kNoToken) {
      force_control(id);
      eog.push_back(id);
    }
  for (TokenId id : {info_.eos, info_.eot, info_.eom})
    if (id != kNoToken) eog.push_back(id);
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  eog_ = std::move(eog);

  for (size_t i = 0; i < tokens_.size(); ++i) {
    const uint32_t a = tokens_[i].attr;
    if ((a & (token_attr::control | token_attr::user_defined | token_attr::unknown)) && !tokens_[i].text.empty())
      special_cache_.push_back(static_cast<TokenId>(i));
  }
  // Longest text first so that a special token containing another one wins.
  std::stable_sort(special_cache_.begin(), special_cache_.end(), [&](TokenId a, TokenId b) {
    return tokens_[static_cast<size_t>(a)].text.size() > tokens_[static_cast<size_t>(b)].text.size();
  });

  if (phi3_rstrip_) {
    for (TokenId id : special_cache_) tokens_[static_cast<size_t>(id)].attr |= token_attr::rstrip;
    if (const TokenId id = lookup("</s>"); id != kNoToken) tokens_[static_cast<size_t>(id)].attr |= token_attr::rstrip;
    for (const char* t : {"<unk>", "<s>", "<|endoftext|>"})
      if (const TokenId id = lookup(t); id != kNoToken) tokens_[static_cast<size_t>(id)].attr &= ~token_attr::rstrip;
  }
}

std::optional<TokenId> Tokenizer::find_token(std::string_view text) const noexcept {
  const auto it = text_to_id_.find(text);
  if (it == text_to_id_.end()) return std::nullopt;
  return it->second;
}

TokenId Tokenizer::byte_token(uint8_t byte) const noexcept {
  if (info_.type == VocabType::spm) {
    static constexpr char hex[] = "0123456789ABCDEF";
    const char buf[6] = {'<', '0', 'x', hex[byte >> 4], hex[byte & 15], '>'};
    if (auto id = find_token(std::string_view(buf, 6))) return *id;
    const char raw = static_cast<char>(byte);
    return find_token(std::string_view(&raw, 1)).value_or(kNoToken);
  }
  return find_token(tok::ByteUnicode::get().byte_to_utf8[byte]).value_or(kNoToken);
}

bool Tokenizer::is_eog(TokenId id) const noexcept { return std::binary_search(eog_.begin(), eog_.end(), id); }

bool Tokenizer::is_control(TokenId id) const noexcept {
  return id >= 0 && static_cast<size_t>(id) < tokens_.size() &&
         (tokens_[static_cast<size_t>(id)].attr & token_attr::control);
}

bool Tokenizer::is_byte(TokenId id) const noexcept {
  return id >= 0 && static_cast<size_t>(id) < tokens_.size() &&
         (tokens_[static_cast<size_t>(id)].attr & token_attr::byte);
}

}  // namespace moe

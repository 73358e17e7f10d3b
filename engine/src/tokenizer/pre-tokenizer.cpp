#include "tokenizer/pre-tokenizer.hpp"

#include <pcre2.h>

#include <array>
#include <string>

#include "moe/errors.hpp"

namespace moe::tok {

namespace {

// The regexes are llama.cpp's (llama-vocab.cpp, llm_tokenizer_bpe) for each family, in order.
// llama.cpp runs the GPT-2 and Llama-3 patterns through hand-written splitters and the others
// through std::regex on a category-collapsed copy of the text; both behave like an ordinary
// backtracking engine on these patterns, so PCRE2 reproduces them. The contraction group is the
// case-sensitive rewrite `(?:'[sS]|...)`: PCRE2's `(?i:...)` would also fold U+017F/U+212A.
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kDeepseekLlmLetters =
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";
constexpr const char* kDeepseekLlmPunct = "\\s?[!-/:-~！-／：-～‘-‟　-。]+";
constexpr const char* kCjk = "[一-龥ࠀ-一가-퟿]+";
constexpr const char* kPoro = R"( ?[^(\s|.,!?…。，、।۔،)]+)";

std::vector<const char*> regexes_for(PreTokenizer t) {
  switch (t) {
    case PreTokenizer::llama3:
    case PreTokenizer::dbrx:
    case PreTokenizer::smaug:
    case PreTokenizer::chatglm4:
      return {kLlama3};
    case PreTokenizer::deepseek_llm:
      return {"[\r\n]", kDeepseekLlmLetters, kDeepseekLlmPunct, R"(\s+$)", kCjk, R"(\p{N}+)"};
    case PreTokenizer::deepseek_coder:
      return {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"};
    case PreTokenizer::falcon:
      return {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"};
    case PreTokenizer::starcoder:
    case PreTokenizer::refact:
    case PreTokenizer::command_r:
    case PreTokenizer::smollm:
    case PreTokenizer::codeshell:
    case PreTokenizer::exaone:
    case PreTokenizer::minerva:
      return {R"(\p{N})", kGpt2};
    case PreTokenizer::gpt2:
    case PreTokenizer::mpt:
    case PreTokenizer::olmo:
      return {kGpt2};
    case PreTokenizer::stablelm2:
    case PreTokenizer::qwen2:
      return {kQwen2};
    case PreTokenizer::poro:
    case PreTokenizer::bloom:
      return {kPoro};
    case PreTokenizer::viking:
      return {kPoro, R"(\p{N})"};
    case PreTokenizer::tekken:
      return {R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
    case PreTokenizer::default_:
      break;
  }
  return {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"};
}

// llama.cpp's whitespace set (unicode_set_whitespace). PCRE2's \s adds U+180E; spelling the
// set out keeps the two identical.
constexpr const char* kWhitespace =
    R"(\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string with_llama_whitespace(std::string_view re) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char n = re[i + 1];
      ++i;
      if (n == 's') {
        out += in_class ? std::string(kWhitespace) : "[" + std::string(kWhitespace) + "]";
      } else if (n == 'S' && !in_class) {
        out += "[^" + std::string(kWhitespace) + "]";
      } else {
        out += c;
        out += n;
      }
      continue;
    }
    if (c == '[' && !in_class) in_class = true;
    else if (c == ']' && in_class) in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

std::optional<PreTokenizerInfo> pre_tokenizer_from_name(std::string_view n) {
  using P = PreTokenizer;
  const auto any = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view s : names)
      if (n == s) return true;
    return false;
  };
  if (n.empty() || n == "default") return PreTokenizerInfo{P::default_};
  if (any({"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"}))
    return PreTokenizerInfo{P::llama3, true, true, true};
  if (n == "deepseek-llm") return PreTokenizerInfo{P::deepseek_llm, false, false};
  if (n == "deepseek-coder") return PreTokenizerInfo{P::deepseek_coder, false, false};
  if (n == "falcon") return PreTokenizerInfo{P::falcon};
  if (n == "mpt") return PreTokenizerInfo{P::mpt};
  // gpt-neox is not a llama.cpp name; its HF pre-tokenizer is the GPT-2 ByteLevel one (as mpt).
  if (n == "gpt-neox") return PreTokenizerInfo{P::mpt};
  if (n == "starcoder") return PreTokenizerInfo{P::starcoder};
  // "gpt2" is not a llama.cpp name either; accepted as the obvious spelling of "gpt-2".
  if (any({"gpt-2", "gpt2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v1-en", "jina-v2-es", "jina-v2-de",
           "jina-v2-code", "roberta-bpe", "a.x-4.0", "mellum"}))
    return PreTokenizerInfo{P::gpt2};
  if (n == "refact") return PreTokenizerInfo{P::refact};
  if (n == "command-r") return PreTokenizerInfo{P::command_r, false, false};
  if (any({"qwen2", "deepseek-r1-qwen"})) return PreTokenizerInfo{P::qwen2, false, false};
  if (n == "stablelm2") return PreTokenizerInfo{P::stablelm2};
  if (any({"olmo", "jais"})) return PreTokenizerInfo{P::olmo};
  if (n == "dbrx") return PreTokenizerInfo{P::dbrx};
  if (n == "smaug-bpe") return PreTokenizerInfo{P::smaug};
  if (n == "poro-chat") return PreTokenizerInfo{P::poro, false, false};
  if (n == "chatglm-bpe") return PreTokenizerInfo{P::chatglm4};
  if (n == "viking") return PreTokenizerInfo{P::viking, false, false};
  if (n == "bloom" || n == "gpt3-finnish") return PreTokenizerInfo{P::bloom};
  if (n == "smollm") return PreTokenizerInfo{P::smollm, false, false};
  if (n == "codeshell") return PreTokenizerInfo{P::codeshell};
  if (n == "exaone") return PreTokenizerInfo{P::exaone};
  if (n == "minerva-7b") return PreTokenizerInfo{P::minerva};
  if (n == "tekken") return PreTokenizerInfo{P::tekken, true, false, true};
  return std::nullopt;
}

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(PreTokenizer type) {
  for (const char* re : regexes_for(type)) {
    const std::string pattern = with_llama_whitespace(re);
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto c = std::make_unique<Compiled>();
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
    if (c->code == nullptr) {
      std::array<PCRE2_UCHAR, 256> msg{};
      pcre2_get_error_message(err, msg.data(), msg.size());
      throw TokenizerError("pre-tokenizer " + std::string(pre_tokenizer_name(type)) + ": regex '" + re +
                           "' does not compile at " + std::to_string(err_off) + ": " +
                           reinterpret_cast<const char*>(msg.data()));
    }
    // JIT is an optimisation; the interpreter gives the same matches if it is unavailable.
    (void)pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);
    regexes_.push_back(std::move(c));
  }
}

RegexSplitter::~RegexSplitter() = default;

void RegexSplitter::split(std::string_view text, std::string_view match_text,
                          std::vector<std::pair<size_t, size_t>>& out) const {
  out.clear();
  if (text.empty()) return;
  if (match_text.empty()) match_text = text;
  out.emplace_back(0, text.size());
  std::vector<std::pair<size_t, size_t>> next;
  pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
  if (md == nullptr) throw std::bad_alloc();
  for (const auto& re : regexes_) {
    next.clear();
    next.reserve(out.size() * 2);
    for (const auto& [beg, len] : out) {
      const auto subject = reinterpret_cast<PCRE2_SPTR>(match_text.data() + beg);
      size_t pos = 0;   // scan position within the piece
      size_t done = 0;  // end of the last emitted range
      while (pos < len) {
        const int rc = pcre2_match(re->code, subject, len, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
        if (rc < 0) break;  // PCRE2_ERROR_NOMATCH, or a resource limit: the rest stays one piece
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        const size_t m0 = ov[0], m1 = ov[1];
        if (m1 <= m0) {
          // An empty match produces no piece; step over one character.
          pos = m0 + 1;
          while (pos < len && (static_cast<uint8_t>(match_text[beg + pos]) & 0xC0) == 0x80) ++pos;
          continue;
        }
        if (m0 > done) next.emplace_back(beg + done, m0 - done);
        next.emplace_back(beg + m0, m1 - m0);
        done = pos = m1;
      }
      if (done < len) next.emplace_back(beg + done, len - done);
    }
    out.swap(next);
  }
  pcre2_match_data_free(md);
}

}  // namespace moe::tok

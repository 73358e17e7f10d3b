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
// Code points as escapes: several (U+1F7D, U+1FBE, U+1FD3, U+1FDB, U+2126, U+212A) are
// canonical singletons that an editor's normalisation would silently turn into others.
constexpr const char* kDeepseekLlmLetters =
    "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+";
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
        int rc = pcre2_match(re->code, subject, len, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
        // The JIT's fixed stack can run out on long inputs; the interpreter keeps its
        // backtracking state on the heap and gives the same match.
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
          rc = pcre2_match(re->code, subject, len, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
        if (rc < 0) break;  // no further match (or a resource limit): the rest stays one piece
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

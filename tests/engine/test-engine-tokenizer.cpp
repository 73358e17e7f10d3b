// Tokenizer behaviour the conformance files do not cover: streaming detokenization, special-token
// modes, invalid UTF-8, empty input, metadata validation and the unknown pre-tokenizer fallback.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"
#include "moe/tokenizer.hpp"

#include <QtTest>

namespace fs = std::filesystem;
using moe::TokenId;

namespace {

fs::path shared_path(const char* rel) { return fs::path(MOE_SHARED_DIR) / "conformance" / rel; }

// Loaded once per file: the large vocabularies take a while to index in a Debug build.
std::shared_ptr<const moe::Tokenizer> load(const char* rel) {
  static std::map<std::string, std::shared_ptr<const moe::Tokenizer>> cache;
  auto& t = cache[rel];
  if (t) return t;
  const fs::path p = shared_path(rel);
  if (!fs::exists(p)) throw std::runtime_error(p.string() + " missing: ../shared must be beside the checkout");
  t = moe::Tokenizer::load(p);
  return t;
}

// Minimal GGUF v3 writer for synthetic vocabularies (metadata only, no tensors).
class GgufBuilder {
 public:
  GgufBuilder& str(const std::string& key, const std::string& v) {
    kv_header(key, 8);
    put_str(v);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& u32(const std::string& key, uint32_t v) {
    kv_header(key, 4);
    put(v);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& boolean(const std::string& key, bool v) {
    kv_header(key, 7);
    body_.push_back(std::byte{static_cast<unsigned char>(v)});
    ++n_kv_;
    return *this;
  }
  GgufBuilder& strs(const std::string& key, const std::vector<std::string>& v) {
    kv_header(key, 9);
    put(uint32_t{8});
    put(uint64_t{v.size()});
    for (const auto& s : v) put_str(s);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& f32s(const std::string& key, const std::vector<float>& v) {
    kv_header(key, 9);
    put(uint32_t{6});
    put(uint64_t{v.size()});
    for (float f : v) put(f);
    ++n_kv_;
    return *this;
  }
  GgufBuilder& i32s(const std::string& key, const std::vector<int32_t>& v) {
    kv_header(key, 9);
    put(uint32_t{5});
    put(uint64_t{v.size()});
    for (int32_t x : v) put(x);
    ++n_kv_;
    return *this;
  }
  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out;
    const auto app = [&](const void* p, size_t n) {
      const auto* b = static_cast<const std::byte*>(p);
      out.insert(out.end(), b, b + n);
    };
    app("GGUF", 4);
    const uint32_t version = 3;
    const uint64_t n_tensors = 0;
    app(&version, 4);
    app(&n_tensors, 8);
    app(&n_kv_, 8);
    out.insert(out.end(), body_.begin(), body_.end());
    return out;
  }

 private:
  template <class T>
  void put(T v) {
    const auto* b = reinterpret_cast<const std::byte*>(&v);
    body_.insert(body_.end(), b, b + sizeof v);
  }
  void put_str(const std::string& s) {
    put(uint64_t{s.size()});
    const auto* b = reinterpret_cast<const std::byte*>(s.data());
    body_.insert(body_.end(), b, b + s.size());
  }
  void kv_header(const std::string& key, uint32_t type) {
    put_str(key);
    put(type);
  }
  std::vector<std::byte> body_;
  uint64_t n_kv_ = 0;
};

// GPT-2 byte-level text of a byte (the printable-character mapping).
std::string byte_char(unsigned b) {
  unsigned cpt = b;
  if (!((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF))) {
    unsigned n = 0;
    for (unsigned x = 0; x < b; ++x)
      if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF))) ++n;
    cpt = 256 + n;
  }
  std::string s;
  if (cpt < 0x80) {
    s += static_cast<char>(cpt);
  } else {
    s += static_cast<char>(0xC0 | (cpt >> 6));
    s += static_cast<char>(0x80 | (cpt & 0x3F));
  }
  return s;
}

// A tiny byte-level BPE vocabulary: 256 bytes, merges "h e" / "l l" / "he ll" / "1 2", and
// the control token "<|end|>" (259).
GgufBuilder tiny_bpe(const std::string& pre) {
  std::vector<std::string> tokens;
  for (unsigned b = 0; b < 256; ++b) tokens.push_back(byte_char(b));
  tokens.push_back("he");
  tokens.push_back("ll");
  tokens.push_back("hell");
  tokens.push_back("<|end|>");
  tokens.push_back("12");
  std::vector<int32_t> types(tokens.size(), 1);
  types[259] = 3;
  GgufBuilder g;
  g.str("tokenizer.ggml.model", "gpt2").strs("tokenizer.ggml.tokens", tokens).i32s("tokenizer.ggml.token_type", types)
      .strs("tokenizer.ggml.merges", {"h e", "l l", "he ll", "1 2"});
  if (!pre.empty()) g.str("tokenizer.ggml.pre", pre);
  return g;
}

QString error_of(const GgufBuilder& g) {
  const auto bytes = g.bytes();
  try {
    const auto f = moe::GgufFile::from_memory(bytes, "synthetic.gguf");
    moe::Tokenizer t(*f);
  } catch (const moe::TokenizerError& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

std::string stream_all(const moe::Tokenizer& t, const std::vector<TokenId>& ids, std::vector<std::string>* parts = nullptr,
                       moe::StreamingDetokenizer::Options o = {}) {
  moe::StreamingDetokenizer d(t, o);
  std::string all;
  for (const TokenId id : ids) {
    const std::string s = d.feed(id);
    if (parts) parts->push_back(s);
    all += s;
  }
  return all + d.flush();
}

bool valid_utf8(const std::string& s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())).toUtf8() == QByteArray::fromStdString(s); }

}  // namespace

class TestTokenizer : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void streamingHoldsSplitCharacters() {
    const auto t = load("models/qwen2moe-f32.gguf");
    // The 1024-token vocabulary has no emoji: U+1F601 becomes four byte tokens.
    const std::string text = "ok \xF0\x9F\x98\x81 w\xC3\xB6rld";
    const auto ids = t->tokenize(text, false, false);
    std::vector<std::string> parts;
    QCOMPARE(stream_all(*t, ids, &parts), text);
    int empty = 0;
    for (const auto& p : parts) {
      QVERIFY2(valid_utf8(p), p.c_str());
      empty += p.empty();
    }
    QVERIFY2(empty >= 3, "the emoji's first three bytes must be held back");
  }

  void streamingSpmLeadingSpaceAndByteTokens() {
    const auto t = load("vocab/ggml-vocab-llama-spm.gguf");
    QVERIFY(t->info().add_space_prefix);
    const auto ids = t->tokenize("Hello world", false, false);
    QVERIFY(ids.size() >= 2);
    QCOMPARE(t->token_to_piece(ids[0]), std::string(" Hello"));
    std::vector<std::string> parts;
    QCOMPARE(stream_all(*t, ids, &parts), std::string("Hello world"));
    QCOMPARE(parts[0], std::string("Hello"));
    // Keep the space when asked.
    moe::StreamingDetokenizer::Options keep;
    keep.strip_leading_space = false;
    QCOMPARE(stream_all(*t, ids, nullptr, keep), std::string(" Hello world"));
    // A character outside the vocabulary falls back to <0xNN> byte tokens, streamed whole.
    const std::string rare = "\xF0\x9D\x94\x98";  // U+1D518
    const auto rids = t->tokenize(rare, false, false);
    int bytes = 0;
    for (const TokenId id : rids) bytes += t->is_byte(id);
    QCOMPARE(bytes, 4);
    std::vector<std::string> rparts;
    QCOMPARE(stream_all(*t, rids, &rparts), rare);
    QCOMPARE(rparts.back(), rare);
    QCOMPARE(t->detokenize(rids), rare);
  }

  void streamingNeverEmitsInvalidUtf8() {
    // Byte-level tokens that never complete a character come out as U+FFFD, at once.
    const auto t = load("models/qwen2moe-f32.gguf");
    const TokenId lead = t->byte_token(0xF0), cont = t->byte_token(0x9F), a = t->byte_token('A'), bad = t->byte_token(0xFF);
    moe::StreamingDetokenizer d(*t);
    QCOMPARE(d.feed(lead), std::string());
    QCOMPARE(d.feed(cont), std::string());
    QCOMPARE(d.pending_bytes(), size_t{2});
    QCOMPARE(d.feed(a), std::string("\xEF\xBF\xBD" "A"));
    QCOMPARE(d.feed(bad), std::string("\xEF\xBF\xBD"));
    QCOMPARE(d.feed(cont), std::string("\xEF\xBF\xBD"));
    QCOMPARE(d.feed(lead), std::string());
    QCOMPARE(d.flush(), std::string("\xEF\xBF\xBD"));
    QCOMPARE(d.pending_bytes(), size_t{0});
  }

  void streamingControlTokensHiddenOrShown() {
    const auto t = load("models/qwen2moe-f32.gguf");
    const auto ids = t->tokenize("<|im_start|>hi<|im_end|>", false, true);
    QCOMPARE(ids.front(), TokenId{1022});
    QCOMPARE(ids.back(), TokenId{1023});
    QCOMPARE(stream_all(*t, ids), std::string("hi"));
    moe::StreamingDetokenizer::Options show;
    show.show_special = true;
    QCOMPARE(stream_all(*t, ids, nullptr, show), std::string("<|im_start|>hi<|im_end|>"));
    QCOMPARE(t->token_to_piece(1023, false), std::string());
    QCOMPARE(t->token_to_piece(1023, true), std::string("<|im_end|>"));
  }

  void specialTokenModes() {
    const auto t = load("models/qwen2moe-f32.gguf");
    const std::string text = "<|im_start|>user";
    const auto parsed = t->tokenize(text, false, true);
    QCOMPARE(parsed.front(), TokenId{1022});
    const auto plain = t->tokenize(text, false, false);
    QVERIFY(std::find(plain.begin(), plain.end(), TokenId{1022}) == plain.end());
    QCOMPARE(t->detokenize(plain), text);
    // add_special follows the metadata: qwen2moe adds nothing, mixtral (add_bos_token) adds BOS.
    QCOMPARE(t->tokenize("x", true, true), t->tokenize("x", false, true));
    const auto m = load("models/mixtral-q8_0.gguf");
    QVERIFY(m->info().add_bos);
    const auto with_bos = m->tokenize("x", true, true);
    QCOMPARE(with_bos.front(), m->info().bos);
    QCOMPARE(with_bos.size(), m->tokenize("x", false, true).size() + 1);
  }

  void detokenizeCleanSpaces() {
    const auto t = load("vocab/ggml-vocab-gpt-2.gguf");
    QVERIFY(t->info().clean_spaces);
    const std::string text = "Hello , world ! It ' s he 's they 'll";
    const auto ids = t->tokenize(text, false, false);
    QCOMPARE(t->detokenize(ids), text);
    moe::Tokenizer::DetokenizeOptions o;
    o.clean_spaces = true;
    QCOMPARE(t->detokenize(ids, o), std::string("Hello, world! It's he's they 'll"));
    // qwen2 turns the clean-up off, as llama.cpp does for that pre-tokenizer.
    const auto q = load("vocab/ggml-vocab-qwen2.gguf");
    QVERIFY(!q->info().clean_spaces);
    QCOMPARE(q->detokenize(q->tokenize(text, false, false), o), text);
  }

  void endOfGeneration() {
    const auto t = load("models/qwen2moe-f32.gguf");
    QVERIFY(t->is_eog(1021));
    QVERIFY(t->is_eog(1023));
    QVERIFY(!t->is_eog(1022));
    QVERIFY(!t->is_eog(65));
    QVERIFY(!t->is_eog(-1));
    QVERIFY(!t->is_eog(100000));
  }

  void emptyInput() {
    const auto spm = load("vocab/ggml-vocab-llama-spm.gguf");
    QVERIFY(spm->tokenize("", false, false).empty());
    QCOMPARE(spm->tokenize("", true, false), std::vector<TokenId>{spm->info().bos});
    const auto bpe = load("vocab/ggml-vocab-qwen2.gguf");
    QVERIFY(bpe->tokenize("", true, true).empty());
    QCOMPARE(bpe->detokenize(std::vector<TokenId>{}), std::string());
  }

  void invalidUtf8_data() {
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("lone continuation") << QByteArray("a\x80" "b");
    QTest::newRow("truncated 3-byte") << QByteArray("x\xE2\x82");
    QTest::newRow("bad lead ff fe") << QByteArray("\xFF\xFEhello");
    QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80 z");
    QTest::newRow("overlong nul") << QByteArray("\xC0\x80q");
    QTest::newRow("above U+10FFFF") << QByteArray("\xF5\x80\x80\x80!");
    QTest::newRow("embedded nul") << QByteArray("a\0b", 3);
  }
  void invalidUtf8() {
    QFETCH(QByteArray, input);
    const std::string_view text(input.constData(), static_cast<size_t>(input.size()));
    // SPM works on bytes: unknown bytes become byte tokens and come back unchanged.
    const auto spm = load("vocab/ggml-vocab-llama-spm.gguf");
    QCOMPARE(spm->detokenize(spm->tokenize(text, false, false)), std::string(text));
    // BPE decodes like llama.cpp: each bad byte is U+FFFD (overlong forms decode to their value).
    for (const char* v : {"vocab/ggml-vocab-qwen2.gguf", "vocab/ggml-vocab-llama-bpe.gguf", "vocab/ggml-vocab-gpt-2.gguf"}) {
      const auto bpe = load(v);
      const auto ids = bpe->tokenize(text, false, false);
      QVERIFY(!ids.empty());
      const std::string back = bpe->detokenize(ids);
      QVERIFY2(valid_utf8(back) || back.find('\xED') != std::string::npos, back.c_str());
    }
    const auto q = load("vocab/ggml-vocab-qwen2.gguf");
    if (input == QByteArray("a\x80" "b"))
      QCOMPARE(q->tokenize(text, false, false), q->tokenize("a\xEF\xBF\xBD" "b", false, false));
  }

  void spmBadLeadByteSwallowsEscapedSpace() {
    // llama.cpp cuts SPM symbols by the lead byte's announced length, so 0xFF takes the next
    // three bytes, here the escaped space U+2581, and all four go out as byte tokens.
    const auto spm = load("vocab/ggml-vocab-llama-spm.gguf");
    const auto ids = spm->tokenize("\xFF ok", false, false);
    QCOMPARE(spm->detokenize(ids), std::string("\xFF\xE2\x96\x81ok"));
  }

  void roundTripsEveryVocabCase_data() {
    QTest::addColumn<QString>("vocab");
    for (const char* v : {"gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"}) QTest::newRow(v) << QString(v);
  }
  void roundTripsEveryVocabCase() {
    QFETCH(QString, vocab);
    const std::string base = "vocab/ggml-vocab-" + vocab.toStdString() + ".gguf";
    const auto t = load(base.c_str());
    std::ifstream in(shared_path((base + ".inp").c_str()), std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string sep = "\n__ggml_vocab_test__\n";
    int n = 0;
    for (size_t pos = 0, next; (next = all.find(sep, pos)) != std::string::npos; pos = next + sep.size(), ++n) {
      const std::string text = all.substr(pos, next - pos);
      const auto ids = t->tokenize(text, false, false);
      QCOMPARE(t->detokenize(ids), text);
      QCOMPARE(stream_all(*t, ids), text);
    }
    QVERIFY(n > 40);
  }

  void unknownPreTokenizerFallsBack() {
    const auto bytes = tiny_bpe("no-such-pre").bytes();
    const auto f = moe::GgufFile::from_memory(bytes, "synthetic.gguf");
    const moe::Tokenizer t(*f);
    QVERIFY(!t.info().pre_known);
    QCOMPARE(t.info().pre_type, moe::PreTokenizer::default_);
    const auto bytes2 = tiny_bpe("default").bytes();
    const auto f2 = moe::GgufFile::from_memory(bytes2, "synthetic.gguf");
    const moe::Tokenizer d(*f2);
    QVERIFY(d.info().pre_known);
    for (const char* s : {"hello, hell's 123456 !?", "  hell\n\n x", ""})
      QCOMPARE(t.tokenize(s, false, false), d.tokenize(s, false, false));
    // The merges apply: "hell" is one token, "o" another.
    QCOMPARE(t.tokenize("hello", false, false), (std::vector<TokenId>{258, 'o'}));
  }

  // Every family's regexes compile, and the digit rules differ as in llama.cpp: "12" stays one
  // word where numbers are grouped and splits into digits where each digit is its own word.
  void preTokenizerFamilies_data() {
    QTest::addColumn<QString>("pre");
    QTest::addColumn<bool>("digits_split");
    const std::pair<const char*, bool> rows[] = {
        {"default", false}, {"gpt-2", false}, {"phi-2", false}, {"llama-bpe", false}, {"llama3", false},
        {"qwen2", true}, {"deepseek-llm", false}, {"deepseek-coder", true}, {"falcon", false}, {"starcoder", true},
        {"refact", true}, {"olmo", false}, {"mpt", false}, {"gpt-neox", false}, {"command-r", true},
        {"stablelm2", true}, {"dbrx", false}, {"smaug-bpe", false}, {"poro-chat", false}, {"chatglm-bpe", false},
        {"viking", true}, {"bloom", false}, {"smollm", true}, {"codeshell", true}, {"exaone", true},
        {"minerva-7b", true}, {"tekken", true}, {"jais", false},
    };
    for (const auto& [pre, split] : rows) QTest::newRow(pre) << QString(pre) << split;
  }
  void preTokenizerFamilies() {
    QFETCH(QString, pre);
    QFETCH(bool, digits_split);
    const auto bytes = tiny_bpe(pre.toStdString()).bytes();
    const auto f = moe::GgufFile::from_memory(bytes, "synthetic.gguf");
    const moe::Tokenizer t(*f);
    QVERIFY(t.info().pre_known);
    const auto ids = t.tokenize("12", false, false);
    const std::vector<TokenId> expected = digits_split ? std::vector<TokenId>{'1', '2'} : std::vector<TokenId>{260};
    QCOMPARE(ids, expected);
    const std::string mixed = "Hello, y'all! 12345 \xE6\x88\x91\xE6\x83\xB3 \t\n\n  x\xF0\x9F\x98\x81 ";
    QCOMPARE(t.detokenize(t.tokenize(mixed, false, false)), mixed);
  }

  void userDefinedAndControlSplitting() {
    const auto bytes = tiny_bpe("gpt-2").bytes();
    const auto f = moe::GgufFile::from_memory(bytes, "synthetic.gguf");
    const moe::Tokenizer t(*f);
    QCOMPARE(t.find_token("<|end|>").value(), TokenId{259});
    QVERIFY(t.is_control(259));
    QVERIFY(t.is_eog(259));
    QCOMPARE(t.tokenize("a<|end|>", false, true), (std::vector<TokenId>{'a', 259}));
    QCOMPARE(t.tokenize("a<|end|>", false, false).size(), size_t{8});
  }

  void validationNamesFileAndKey() {
    QVERIFY(error_of(tiny_bpe("gpt-2").u32("tokenizer.ggml.bos_token_id", 5000)).contains("synthetic.gguf: tokenizer.ggml.bos_token_id"));
    QVERIFY(error_of(tiny_bpe("gpt-2").f32s("tokenizer.ggml.scores", {1.0f, 2.0f})).contains("tokenizer.ggml.scores"));
    GgufBuilder no_merges;
    no_merges.str("tokenizer.ggml.model", "gpt2").strs("tokenizer.ggml.tokens", {"a", "b"});
    QVERIFY(error_of(no_merges).contains("tokenizer.ggml.merges"));
    GgufBuilder bad_model;
    bad_model.str("tokenizer.ggml.model", "bert").strs("tokenizer.ggml.tokens", {"a"});
    QVERIFY(error_of(bad_model).contains("tokenizer.ggml.model"));
    GgufBuilder none;
    none.str("general.name", "x");
    QVERIFY(error_of(none).contains("tokenizer.ggml.model"));
    GgufBuilder wrong_type;
    wrong_type.str("tokenizer.ggml.model", "llama").str("tokenizer.ggml.tokens", "oops");
    QVERIFY(error_of(wrong_type).contains("tokenizer.ggml.tokens"));
  }

  void fuzzEntryPointSurvivesRandomBytes() {
    std::mt19937 rng(1234);
    for (const char* v : {"vocab/ggml-vocab-qwen2.gguf", "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-phi-3.gguf",
                          "models/qwen2moe-f32.gguf"}) {
      const auto t = load(v);
      for (int i = 0; i < 300; ++i) {
        std::vector<std::byte> buf(rng() % 64);
        for (auto& b : buf) b = static_cast<std::byte>(rng() % 4 == 0 ? (rng() % 8 == 0 ? '<' : ' ') : rng() & 0xFF);
        (void)moe::fuzz::tokenize_bytes(*t, buf);
      }
    }
    QVERIFY(true);
  }
};

QTEST_APPLESS_MAIN(TestTokenizer)
#include "test-engine-tokenizer.moc"

// The GGUF reader against bad input: files cut at every section boundary and at random
// lengths, random bit flips, and a catalogue of crafted corruptions (each built with the
// writer, then patched). Every bad file must be refused with a GgufError whose message names
// the file and the field or tensor; nothing may crash, hang or allocate absurdly (the asan
// preset runs this test under AddressSanitizer + UBSan).
#include <algorithm>
#include <cstring>
#include <functional>
#include <random>

#include "gguf-test-util.hpp"
#include "moe/errors.hpp"
#include "moe/fuzz-entry.hpp"
#include "moe/gguf-writer.hpp"
#include "moe/gguf.hpp"

#include <QtTest>

using V = moe::GgufWriteValue;
using moe::GgufType;
using Bytes = std::vector<std::byte>;
Q_DECLARE_METATYPE(std::function<Bytes()>)

namespace {

constexpr const char* kName = "crafted.gguf";

// The GgufError message, "" if the bytes were accepted. Any other exception fails the test.
std::string error_of(const Bytes& bytes) {
  try {
    moe::GgufFile::from_memory(bytes, kName);
  } catch (const moe::GgufError& e) {
    return e.what();
  }
  return {};
}

template <class T>
void poke(Bytes& b, size_t at, T v) {
  Q_ASSERT(at + sizeof(T) <= b.size());
  std::memcpy(b.data() + at, &v, sizeof(T));
}
template <class T>
T peek(const Bytes& b, size_t at) {
  T v;
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}

// Field offsets inside tensor info i (see the GGUF layout: name, n_dims, dims, type, offset).
struct InfoFields {
  size_t n_dims, dims, type, offset;
};
InfoFields info_fields(const Bytes& b, const moe::GgufLayout& l, size_t i) {
  const size_t at = l.tensor_info_offsets[i];
  const auto name_len = static_cast<size_t>(peek<uint64_t>(b, at));
  InfoFields f{};
  f.n_dims = at + 8 + name_len;
  f.dims = f.n_dims + 4;
  f.type = f.dims + 8 * peek<uint32_t>(b, f.n_dims);
  f.offset = f.type + 4;
  return f;
}

size_t kv_index(const moe::GgufWriter& w, const Bytes& b, const moe::GgufLayout& l, std::string_view key) {
  for (size_t i = 0; i < w.kv_count(); ++i) {
    const size_t at = l.kv_offsets[i];
    const auto len = static_cast<size_t>(peek<uint64_t>(b, at));
    if (std::string_view(reinterpret_cast<const char*>(b.data() + at + 8), len) == key) return i;
  }
  qFatal("key not in sample");
}

struct Crafted {
  moe::GgufWriter w = gguf_test::sample_writer();
  moe::GgufLayout l;
  Bytes b;
  Crafted() { b = w.to_bytes(&l); }
  explicit Crafted(moe::GgufWriter writer) : w(std::move(writer)) { b = w.to_bytes(&l); }
  size_t value_of(std::string_view key) const { return l.kv_value_offsets[kv_index(w, b, l, key)]; }
  size_t key_of(std::string_view key) const { return l.kv_offsets[kv_index(w, b, l, key)]; }
  InfoFields tensor(size_t i) const { return info_fields(b, l, i); }
};

// End of the last byte any tensor claims: cuts at or after it may legitimately load.
size_t data_end(const Bytes& bytes) {
  const auto f = moe::GgufFile::from_memory(bytes, "good.gguf");
  size_t end = f->data_offset();
  for (const moe::TensorInfo& t : f->tensors())
    end = std::max(end, static_cast<size_t>(t.data - bytes.data()) + t.nbytes);
  return end;
}

bool names_file(const std::string& msg) { return msg.rfind(std::string(kName) + ": ", 0) == 0; }

}  // namespace

class TestGgufValidation : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void truncatedAtEverySectionBoundary() {
    const Crafted c;
    std::vector<std::pair<size_t, std::string>> cuts;  // length, what the message must mention
    for (size_t at : {size_t{0}, size_t{3}, size_t{4}, size_t{8}, size_t{16}, size_t{23}, c.l.header_end})
      cuts.emplace_back(at, "");
    for (size_t i = 0; i < c.w.kv_count(); ++i) {
      const size_t key_len = static_cast<size_t>(peek<uint64_t>(c.b, c.l.kv_offsets[i]));
      const std::string key(reinterpret_cast<const char*>(c.b.data() + c.l.kv_offsets[i] + 8), key_len);
      cuts.emplace_back(c.l.kv_offsets[i], "");
      cuts.emplace_back(c.l.kv_offsets[i] + 4, "metadata key");            // inside the key length
      cuts.emplace_back(c.l.kv_offsets[i] + 9, "metadata key");            // inside the key text
      cuts.emplace_back(c.l.kv_value_offsets[i], "metadata value type");
      cuts.emplace_back(c.l.kv_value_offsets[i] + 4, key);                  // value missing
      const size_t next = i + 1 < c.w.kv_count() ? c.l.kv_offsets[i + 1] : c.l.tensor_info_offsets[0];
      if (c.l.kv_value_offsets[i] + 5 < next) cuts.emplace_back(c.l.kv_value_offsets[i] + 5, key);  // value cut short
    }
    for (size_t i = 0; i < c.l.tensor_info_offsets.size(); ++i) {
      const InfoFields f = c.tensor(i);
      cuts.emplace_back(c.l.tensor_info_offsets[i], "");
      cuts.emplace_back(c.l.tensor_info_offsets[i] + 10, "tensor name");
      cuts.emplace_back(f.n_dims, "tensor dimension count");
      cuts.emplace_back(f.dims + 3, "tensor dimension");
      cuts.emplace_back(f.type, "tensor type");
      cuts.emplace_back(f.offset + 7, "tensor data offset");
    }
    cuts.emplace_back(c.l.tensor_infos_end, "");
    cuts.emplace_back(c.l.tensor_infos_end + 1, "");  // inside the padding
    cuts.emplace_back(c.l.data_offset, "");
    for (size_t off : c.l.tensor_data_offsets) {
      cuts.emplace_back(off, "");
      cuts.emplace_back(off + 1, "");
    }
    cuts.emplace_back(c.b.size() - 1, "ffn_down_shexp");  // the last tensor loses its last byte
    QVERIFY(cuts.size() > 150);

    for (const auto& [len, mention] : cuts) {
      QVERIFY(len < c.b.size());
      const Bytes cut(c.b.begin(), c.b.begin() + static_cast<std::ptrdiff_t>(len));
      const std::string msg = error_of(cut);
      const std::string where = "cut at " + std::to_string(len) + ": " + msg;
      QVERIFY2(!msg.empty(), where.c_str());
      QVERIFY2(names_file(msg), where.c_str());
      QVERIFY2(msg.find("truncated") != std::string::npos || msg.find("too short") != std::string::npos, where.c_str());
      // The count checks may fire first when little is left; otherwise the field is named.
      if (!mention.empty() && msg.find("impossible") == std::string::npos)
        QVERIFY2(msg.find(mention) != std::string::npos, (where + " [expected '" + mention + "']").c_str());
    }
  }

  void truncatedAtRandomLengths_data() {
    QTest::addColumn<QString>("file");
    QTest::newRow("sample") << QString();
    QTest::newRow("qwen3-q8_0") << QString::fromStdString((gguf_test::shared_dir() / "models" / "qwen3-q8_0.gguf").string());
    QTest::newRow("mixtral-q8_0") << QString::fromStdString((gguf_test::shared_dir() / "models" / "mixtral-q8_0.gguf").string());
  }
  void truncatedAtRandomLengths() {
    QFETCH(QString, file);
    const Bytes full = file.isEmpty() ? gguf_test::sample_writer().to_bytes() : gguf_test::read_bytes(file.toStdString());
    QVERIFY2(full.size() > 1000, "conformance model missing");
    const size_t end = data_end(full);
    const auto header_end = moe::GgufFile::from_memory(full, "good.gguf")->data_offset();
    std::mt19937 rng(1234);
    for (int i = 0; i < 400; ++i) {
      // Half the cuts inside the header, where parsing happens; the rest anywhere.
      const size_t limit = (i % 2 == 0) ? header_end : full.size();
      const size_t len = std::uniform_int_distribution<size_t>(0, limit - 1)(rng);
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(len));
      const std::string msg = error_of(cut);
      if (len < end) {
        QVERIFY2(!msg.empty(), ("accepted a cut at " + std::to_string(len)).c_str());
        QVERIFY2(names_file(msg), msg.c_str());
      }
    }
  }

  void survivesBitFlips_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("rounds");
    QTest::newRow("sample") << QString() << 4000;
    QTest::newRow("qwen2moe-q4_0") << QString::fromStdString((gguf_test::shared_dir() / "models" / "qwen2moe-q4_0.gguf").string()) << 600;
    QTest::newRow("vocab-llama-spm") << QString::fromStdString((gguf_test::shared_dir() / "vocab" / "ggml-vocab-llama-spm.gguf").string()) << 150;
  }
  void survivesBitFlips() {
    QFETCH(QString, file);
    QFETCH(int, rounds);
    const Bytes good = file.isEmpty() ? gguf_test::sample_writer().to_bytes() : gguf_test::read_bytes(file.toStdString());
    QVERIFY2(good.size() > 1000, "conformance file missing");
    const size_t header = moe::GgufFile::from_memory(good, "good.gguf")->data_offset();
    std::mt19937 rng(42);
    int refused = 0;
    Bytes b = good;
    for (int i = 0; i < rounds; ++i) {
      // 1 to 4 flips, mostly in the parsed part (a flip in tensor data is always valid), and
      // sometimes a whole 8-byte field overwritten with an extreme value.
      std::vector<std::pair<size_t, std::byte>> undo;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) {
        const size_t at = (rng() % 8 != 0) ? rng() % header : rng() % b.size();
        if (rng() % 10 == 0 && at + 8 <= header) {
          for (size_t j = 0; j < 8; ++j) undo.emplace_back(at + j, b[at + j]);
          poke<uint64_t>(b, at, (rng() % 2) ? ~uint64_t{0} : (uint64_t{1} << (rng() % 64)));
        } else {
          undo.emplace_back(at, b[at]);
          b[at] ^= static_cast<std::byte>(1u << (rng() % 8));
        }
      }
      const std::string msg = error_of(b);
      if (!msg.empty()) {
        ++refused;
        QVERIFY2(names_file(msg), msg.c_str());
      }
      // The fuzz entry also walks the accepted files (values, tensor bytes, model summary).
      if (!msg.empty()) QVERIFY(!moe::fuzz::parse_gguf_bytes(b));
      else (void)moe::fuzz::parse_gguf_bytes(b);  // may refuse a summary key of the wrong type
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) b[it->first] = it->second;
    }
    QVERIFY(b == good);
    qInfo("%d of %d corrupted files refused, the rest still valid", refused, rounds);
    QVERIFY(refused > 0);
  }

  void refusesCraftedCorruption_data() {
    QTest::addColumn<std::function<Bytes()>>("make");
    QTest::addColumn<QString>("expected");

    auto row = [](const char* name, std::function<Bytes()> make, const char* expected) {
      QTest::newRow(name) << make << QString(expected);
    };
    row("bad magic", [] { Crafted c; c.b[0] = std::byte{'X'}; return c.b; }, "not a GGUF file (bad magic)");
    row("empty", [] { return Bytes{}; }, "too short for a GGUF header (0 bytes)");
    row("big-endian", [] { Crafted c; poke<uint32_t>(c.b, 4, 0x03000000u); return c.b; }, "big-endian GGUF files are not supported");
    row("version 1", [] { Crafted c; poke<uint32_t>(c.b, 4, 1); return c.b; }, "GGUF version 1 is obsolete");
    row("version 4", [] { Crafted c; poke<uint32_t>(c.b, 4, 4); return c.b; }, "unsupported GGUF version 4");
    row("absurd tensor count", [] { Crafted c; poke<uint64_t>(c.b, 8, uint64_t{1} << 62); return c.b; },
        "tensor count 4611686018427387904 is impossible");
    row("absurd kv count", [] { Crafted c; poke<uint64_t>(c.b, 16, ~uint64_t{0}); return c.b; },
        "metadata count 18446744073709551615 is impossible");
    row("key longer than file", [] { Crafted c; poke<uint64_t>(c.b, c.key_of("test.u32"), uint64_t{1} << 40); return c.b; },
        "truncated while reading metadata key: needs 1099511627776 bytes");
    row("string value longer than file", [] { Crafted c; poke<uint64_t>(c.b, c.value_of("general.name") + 4, ~uint64_t{0} - 3); return c.b; },
        "truncated while reading value of 'general.name'");
    row("array count huge", [] { Crafted c; poke<uint64_t>(c.b, c.value_of("test.i32_array") + 8, uint64_t{1} << 61); return c.b; },
        "'test.i32_array': array of 2305843009213693952 elements does not fit");
    row("string array count huge", [] { Crafted c; poke<uint64_t>(c.b, c.value_of("tokenizer.ggml.tokens") + 8, ~uint64_t{0}); return c.b; },
        "'tokenizer.ggml.tokens': array of 18446744073709551615 strings does not fit");
    row("nested array count huge", [] { Crafted c; poke<uint64_t>(c.b, c.value_of("test.nested") + 8, uint64_t{1} << 50); return c.b; },
        "'test.nested': array of 1125899906842624 arrays does not fit");
    row("string in array longer than file", [] { Crafted c; poke<uint64_t>(c.b, c.value_of("test.string_array") + 16, uint64_t{1} << 33); return c.b; },
        "truncated while reading string in array 'test.string_array'");
    row("unknown value type", [] { Crafted c; poke<uint32_t>(c.b, c.value_of("test.u16"), 13); return c.b; },
        "'test.u16': unknown metadata value type 13");
    row("unknown array element type", [] { Crafted c; poke<uint32_t>(c.b, c.value_of("test.i32_array") + 4, 0xdeadbeef); return c.b; },
        "'test.i32_array': unknown array element type 3735928559");
    row("bool neither 0 nor 1", [] { Crafted c; c.b[c.value_of("test.bool") + 4] = std::byte{2}; return c.b; },
        "'test.bool': bool value 2 is neither 0 nor 1");
    row("duplicate key", [] {
      moe::GgufWriter w = gguf_test::sample_writer();
      w.set("dup.k1", V::u32(1));
      w.set("dup.k2", V::u32(2));
      Crafted c(std::move(w));
      c.b[c.key_of("dup.k2") + 8 + 5] = std::byte{'1'};
      return c.b;
    }, "duplicate metadata key 'dup.k1'");
    row("key with NUL", [] { Crafted c; c.b[c.key_of("test.u8") + 8 + 4] = std::byte{0}; return c.b; },
        "'test\\x00u8': contains a NUL byte at position 4");
    row("key not UTF-8", [] { Crafted c; c.b[c.key_of("test.u8") + 8 + 4] = std::byte{0xC0}; return c.b; },
        "'test\\xc0u8': is not valid UTF-8 (byte 4)");
    row("empty key", [] { Crafted c; poke<uint64_t>(c.b, c.key_of("test.u8"), 0); return c.b; }, "': empty name");
    row("alignment not a power of two", [] { Crafted c; poke<uint32_t>(c.b, c.value_of("general.alignment") + 4, 48); return c.b; },
        "general.alignment: 48 is not a power of two");
    row("alignment zero", [] { Crafted c; poke<uint32_t>(c.b, c.value_of("general.alignment") + 4, 0); return c.b; },
        "general.alignment: 0 is not a power of two");
    row("alignment of the wrong type", [] {
      moe::GgufWriter w = gguf_test::sample_writer();
      w.remove("general.alignment");
      w.set("general.alignmenX", V::string("32"));
      Crafted c(std::move(w));
      c.b[c.key_of("general.alignmenX") + 8 + 16] = std::byte{'t'};
      return c.b;
    }, "general.alignment: expected u32, found string");
    row("tensor offset beyond the end", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(3).offset, uint64_t{1} << 40); return c.b; },
        "tensor 'blk.0.ffn_down_shexp.weight': data at offset 1099511627776 (288 bytes) lies outside the data section of");
    row("tensor offset wraps around", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(3).offset, ~uint64_t{31}); return c.b; },
        "tensor 'blk.0.ffn_down_shexp.weight': data at offset 18446744073709551584 (288 bytes) lies outside");
    row("misaligned offset", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(1).offset, peek<uint64_t>(c.b, c.tensor(1).offset) + 4); return c.b; },
        "tensor 'blk.0.attn_norm.weight': data offset 196 is not aligned to 32");
    row("overlapping tensors", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(1).offset, 0); return c.b; },
        "tensor 'blk.0.attn_norm.weight': data at offset 0 (128 bytes) overlaps tensor 'token_embd.weight' at offset 0 (192 bytes)");
    row("shape product overflow", [] {
      Crafted c;
      for (int d = 0; d < 3; ++d) poke<uint64_t>(c.b, c.tensor(2).dims + 8 * d, uint64_t{1} << 40);
      return c.b;
    }, "tensor 'blk.0.ffn_gate_exps.weight': element count overflows");
    row("dimension above 2^40", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(0).dims, (uint64_t{1} << 40) + 1); return c.b; },
        "tensor 'token_embd.weight': dimension 0 is 1099511627777");
    row("dims = 0", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(2).dims + 8, 0); return c.b; },
        "tensor 'blk.0.ffn_gate_exps.weight': dimension 1 is 0 (must be 1 to 2^40)");
    row("n_dims = 0", [] { Crafted c; poke<uint32_t>(c.b, c.tensor(0).n_dims, 0); return c.b; },
        "tensor 'token_embd.weight': 0 dimensions (1 to 4 allowed)");
    row("n_dims = 5", [] { Crafted c; poke<uint32_t>(c.b, c.tensor(0).n_dims, 5); return c.b; },
        "tensor 'token_embd.weight': 5 dimensions (1 to 4 allowed)");
    row("unknown tensor type id", [] { Crafted c; poke<uint32_t>(c.b, c.tensor(1).type, 99); return c.b; },
        "tensor 'blk.0.attn_norm.weight': unknown tensor type id 99");
    row("retired tensor type id", [] { Crafted c; poke<uint32_t>(c.b, c.tensor(1).type, 4); return c.b; },
        "tensor 'blk.0.attn_norm.weight': unknown tensor type id 4");
    // Control: f16 [32, 3] re-typed as q8_0 still fits its place, so the file stays valid.
    row("control: type change that still fits", [] { Crafted c; poke<uint32_t>(c.b, c.tensor(0).type, 8); return c.b; }, "");
    row("row length not a multiple of the block", [] { Crafted c; poke<uint64_t>(c.b, c.tensor(2).dims, 48); return c.b; },
        "tensor 'blk.0.ffn_gate_exps.weight': row length 48 is not a multiple of the q8_0 block size 32");
    row("duplicate tensor name", [] {
      moe::GgufWriter w;
      const int64_t d[] = {8};
      w.add_tensor("dup.a", moe::kern::GgmlType::F32, d, Bytes(32));
      w.add_tensor("dup.b", moe::kern::GgmlType::F32, d, Bytes(32));
      Crafted c(std::move(w));
      c.b[c.l.tensor_info_offsets[1] + 8 + 4] = std::byte{'a'};
      return c.b;
    }, "duplicate tensor name 'dup.a'");
    row("tensor name not UTF-8", [] { Crafted c; c.b[c.l.tensor_info_offsets[1] + 8] = std::byte{0xFF}; return c.b; },
        "tensor 1 name '\\xff");
    row("arrays nested too deep", [] {
      V v = V::array(GgufType::U8, {V::u8(1)});
      for (int i = 0; i < 8; ++i) v = V::array(GgufType::ARRAY, {v});
      moe::GgufWriter w;
      w.set("deep.array", v);
      return w.to_bytes();
    }, "'deep.array': arrays nested deeper than 8 levels");
    row("data section beyond the end", [] { Crafted c; return Bytes(c.b.begin(), c.b.begin() + static_cast<std::ptrdiff_t>(c.l.tensor_infos_end)); },
        "the tensor data section starts beyond the end of the file");
  }
  void refusesCraftedCorruption() {
    QFETCH(std::function<Bytes()>, make);
    QFETCH(QString, expected);
    const Bytes bytes = make();
    const std::string msg = error_of(bytes);
    if (expected.isEmpty()) {  // a control row: a patch that keeps the file valid
      QVERIFY2(msg.empty(), msg.c_str());
      return;
    }
    QVERIFY2(!msg.empty(), "the corrupt file was accepted");
    QVERIFY2(names_file(msg), msg.c_str());
    QVERIFY2(msg.find(expected.toStdString()) != std::string::npos,
             ("message: " + msg + "\nexpected to contain: " + expected.toStdString()).c_str());
    QVERIFY(!moe::fuzz::parse_gguf_bytes(bytes));
  }
};

QTEST_APPLESS_MAIN(TestGgufValidation)
#include "test-engine-gguf-validation.moc"

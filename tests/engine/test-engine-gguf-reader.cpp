// The GGUF reader on every conformance model, and its refusal of a few broken files.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "moe/errors.hpp"
#include "moe/gguf.hpp"

#include <QtTest>

namespace fs = std::filesystem;

namespace {

fs::path models_dir() { return fs::path(MOE_SHARED_DIR) / "conformance" / "models"; }

std::vector<std::byte> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(raw.size());
  std::memcpy(out.data(), raw.data(), raw.size());
  return out;
}

QString error_of(const std::vector<std::byte>& bytes) {
  try {
    moe::GgufFile::from_memory(bytes, "broken.gguf");
  } catch (const moe::GgufError& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestGgufReader : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void readsEveryConformanceModel_data() {
    QTest::addColumn<QString>("path");
    QVERIFY2(fs::is_directory(models_dir()), "conformance models missing: ../shared must be beside the checkout");
    for (const auto& e : fs::directory_iterator(models_dir()))
      if (e.path().extension() == ".gguf")
        QTest::newRow(e.path().filename().string().c_str()) << QString::fromStdString(e.path().string());
  }
  void readsEveryConformanceModel() {
    QFETCH(QString, path);
    auto f = moe::GgufFile::open(path.toStdString());
    QCOMPARE(f->version(), 3u);
    QCOMPARE(f->alignment(), 32u);
    const std::string arch(f->get_string("general.architecture"));
    QVERIFY(!arch.empty());
    QVERIFY(f->get_u32(arch + ".block_count") > 0);
    QCOMPARE(f->get_string("tokenizer.ggml.model"), std::string_view("gpt2"));
    QCOMPARE(f->get_string_array("tokenizer.ggml.tokens").size(), size_t{1024});
    const moe::TensorInfo* emb = f->find_tensor("token_embd.weight");
    QVERIFY(emb != nullptr);
    QCOMPARE(emb->ne[1], int64_t{1024});
    size_t total = 0;
    for (const moe::TensorInfo& t : f->tensors()) {
      QCOMPARE(t.offset % 32, uint64_t{0});
      QVERIFY(t.nbytes > 0);
      total += t.nbytes;
    }
    QVERIFY(total <= f->file_size() - f->data_offset());
  }

  void wrongTypeIsNamed() {
    auto f = moe::GgufFile::open((models_dir() / "qwen2moe-q8_0.gguf").string());
    try {
      (void)f->get_u32("general.architecture");
      QFAIL("expected a type error");
    } catch (const moe::GgufError& e) {
      QVERIFY2(QString(e.what()).contains("general.architecture: expected u32, found string"), e.what());
    }
    try {
      (void)f->get_u32("qwen2moe.no_such_key");
      QFAIL("expected a missing-key error");
    } catch (const moe::GgufError& e) {
      QVERIFY(QString(e.what()).contains("missing metadata key 'qwen2moe.no_such_key'"));
    }
  }

  void refusesBrokenFiles() {
    const auto good = read_bytes(models_dir() / "qwen3-q8_0.gguf");
    QVERIFY(good.size() > 1000);
    QVERIFY(error_of(good).isEmpty());

    auto bad_magic = good;
    bad_magic[0] = std::byte{'X'};
    QVERIFY(error_of(bad_magic).contains("bad magic"));

    auto big_endian = good;
    std::swap(big_endian[4], big_endian[7]);  // version 3 as a big-endian writer stores it
    QVERIFY(error_of(big_endian).contains("big-endian"));

    auto truncated_header = std::vector<std::byte>(good.begin(), good.begin() + 5000);
    QVERIFY2(error_of(truncated_header).contains("truncated"), qPrintable(error_of(truncated_header)));

    auto truncated_data = std::vector<std::byte>(good.begin(), good.end() - 1);
    QVERIFY2(error_of(truncated_data).contains("outside the data section"), qPrintable(error_of(truncated_data)));

    auto huge_count = good;
    for (int i = 16; i < 24; ++i) huge_count[static_cast<size_t>(i)] = std::byte{0x7f};  // kv count
    QVERIFY(error_of(huge_count).contains("impossible"));

    QVERIFY(error_of({}).contains("too short"));
  }
};

QTEST_APPLESS_MAIN(TestGgufReader)
#include "test-engine-gguf-reader.moc"

// Tokenizer conformance with llama.cpp: the vocab-only GGUFs' .inp/.out cases (add_special and
// parse_special off) and the conformance models' prompt tokenizations (both on).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "moe/gguf.hpp"
#include "moe/tokenizer.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

namespace fs = std::filesystem;

namespace {

fs::path conformance_dir() { return fs::path(MOE_SHARED_DIR) / "conformance"; }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const moe::Tokenizer& tokenizer_for(const std::string& path) {
  static std::map<std::string, std::shared_ptr<const moe::Tokenizer>> cache;
  auto& t = cache[path];
  if (!t) t = moe::Tokenizer::load(path);
  return *t;
}

QString ids_string(const std::vector<moe::TokenId>& ids) {
  QStringList parts;
  for (const moe::TokenId id : ids) parts << QString::number(id);
  return parts.join(' ');
}

struct Tally {
  int pass = 0;
  int total = 0;
};
std::map<std::string, Tally>& tallies() {
  static std::map<std::string, Tally> t;
  return t;
}

const char* const kVocabs[] = {"gpt-2", "llama-bpe", "llama-spm", "phi-3", "qwen2"};

}  // namespace

class TestTokenizerConformance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void vocabCases_data() {
    QTest::addColumn<QString>("vocab");
    QTest::addColumn<QString>("gguf");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    const fs::path dir = conformance_dir() / "vocab";
    QVERIFY2(fs::is_directory(dir), "conformance/vocab missing: ../shared must be beside the checkout");
    for (const char* name : kVocabs) {
      const fs::path gguf = dir / (std::string("ggml-vocab-") + name + ".gguf");
      const fs::path inp = fs::path(gguf.string() + ".inp");
      const fs::path out = fs::path(gguf.string() + ".out");
      QVERIFY2(fs::exists(gguf) && fs::exists(inp) && fs::exists(out), gguf.string().c_str());
      const std::string inputs = read_file(inp);
      const std::string outputs = read_file(out);
      static const std::string sep = "\n__ggml_vocab_test__\n";
      std::vector<std::string> cases;
      for (size_t pos = 0;;) {
        const size_t next = inputs.find(sep, pos);
        if (next == std::string::npos) break;
        cases.push_back(inputs.substr(pos, next - pos));
        pos = next + sep.size();
      }
      std::vector<std::string> lines;
      for (size_t pos = 0; pos < outputs.size();) {
        size_t nl = outputs.find('\n', pos);
        if (nl == std::string::npos) nl = outputs.size();
        lines.push_back(outputs.substr(pos, nl - pos));
        pos = nl + 1;
      }
      QVERIFY2(!cases.empty() && cases.size() == lines.size(),
               qPrintable(QString("%1: %2 inputs, %3 expected lines").arg(name).arg(cases.size()).arg(lines.size())));
      for (size_t i = 0; i < cases.size(); ++i) {
        const QString expected = QString::fromStdString(lines[i]).simplified();
        QTest::addRow("%s:%02zu", name, i) << QString(name) << QString::fromStdString(gguf.string())
                                            << QByteArray(cases[i].data(), static_cast<qsizetype>(cases[i].size()))
                                            << expected;
      }
    }
  }

  void vocabCases() {
    QFETCH(QString, vocab);
    QFETCH(QString, gguf);
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    Tally& tally = tallies()[vocab.toStdString()];
    ++tally.total;
    const moe::Tokenizer& tok = tokenizer_for(gguf.toStdString());
    const auto ids = tok.tokenize(std::string_view(input.constData(), static_cast<size_t>(input.size())), false, false);
    QCOMPARE(ids_string(ids), expected);
    ++tally.pass;
  }

  void modelRefs_data() {
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("json");
    const fs::path dir = conformance_dir() / "refs";
    QVERIFY2(fs::is_directory(dir), "conformance/refs missing: ../shared must be beside the checkout");
    std::vector<fs::path> files;
    for (const auto& m : fs::directory_iterator(dir))
      if (m.is_directory())
        for (const auto& e : fs::directory_iterator(m.path()))
          if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    QVERIFY2(files.size() == 33, qPrintable(QString("expected 33 prompt refs, found %1").arg(files.size())));
    for (const fs::path& f : files)
      QTest::addRow("%s/%s", f.parent_path().filename().string().c_str(), f.stem().string().c_str())
          << QString::fromStdString(f.parent_path().filename().string()) << QString::fromStdString(f.string());
  }

  void modelRefs() {
    QFETCH(QString, model);
    QFETCH(QString, json);
    Tally& tally = tallies()["model refs"];
    ++tally.total;
    const std::string raw = read_file(json.toStdString());
    QJsonParseError err{};
    const QJsonObject ref = QJsonDocument::fromJson(QByteArray::fromStdString(raw), &err).object();
    QVERIFY2(err.error == QJsonParseError::NoError, qPrintable(err.errorString()));
    const fs::path gguf = conformance_dir() / "models" / ref["model"].toString().toStdString();
    QVERIFY2(fs::exists(gguf), gguf.string().c_str());
    QVERIFY(ref["add_special"].toBool() && ref["parse_special"].toBool());
    const QByteArray prompt = ref["prompt"].toString().toUtf8();
    std::vector<moe::TokenId> expected;
    for (const QJsonValue v : ref["tokens"].toArray()) expected.push_back(v.toInt());
    const moe::Tokenizer& tok = tokenizer_for(gguf.string());
    const auto ids = tok.tokenize(std::string_view(prompt.constData(), static_cast<size_t>(prompt.size())), true, true);
    QCOMPARE(ids_string(ids), ids_string(expected));
    ++tally.pass;
  }

  void cleanupTestCase() {
    for (const auto& [name, t] : tallies())
      qInfo("tokenizer conformance %-10s %3d / %3d", name.c_str(), t.pass, t.total);
  }
};

QTEST_APPLESS_MAIN(TestTokenizerConformance)
#include "test-engine-tokenizer-conformance.moc"

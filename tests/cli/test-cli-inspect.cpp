// `moescope-cli inspect` as a user runs it: --json on every conformance model agrees with the
// engine's summary, and corrupt files give "moescope-cli inspect: error: <file>: <problem>"
// with exit status 1, never a crash.
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "moe/gguf.hpp"
#include "moe/model-summary.hpp"

#include <QtTest>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path models_dir() { return fs::path(MOE_SHARED_DIR) / "conformance" / "models"; }
QString cli() { return QString(MOE_BINARY_DIR) + "/app/moescope-cli"; }

struct Run {
  QProcess::ExitStatus status;
  int code;
  QByteArray out, err;
};

Run run_cli(const QStringList& args) {
  QProcess p;
  p.start(cli(), args);
  if (!p.waitForFinished(60000)) qFatal("moescope-cli did not finish");
  return {p.exitStatus(), p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

std::vector<char> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::vector<char>& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

class TestCliInspect : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void jsonMatchesSummary_data() {
    QTest::addColumn<QString>("path");
    QVERIFY2(fs::is_directory(models_dir()), "conformance models missing");
    for (const auto& e : fs::directory_iterator(models_dir()))
      if (e.path().extension() == ".gguf")
        QTest::newRow(e.path().filename().string().c_str()) << QString::fromStdString(e.path().string());
  }
  void jsonMatchesSummary() {
    QFETCH(QString, path);
    const Run r = run_cli({"inspect", path, "--json"});
    QCOMPARE(r.status, QProcess::NormalExit);
    QVERIFY2(r.code == 0, r.err.constData());
    QVERIFY(r.err.isEmpty());
    const json j = json::parse(r.out.toStdString());  // exactly one JSON object
    QVERIFY(j.is_object());
    const moe::ModelSummary s = moe::summarize_model(moe::GgufFile::open(path.toStdString()));
    QCOMPARE(j["file"].get<std::string>(), path.toStdString());
    QCOMPARE(j["architecture"].get<std::string>(), s.architecture);
    QCOMPARE(j["parameters"]["total"].get<uint64_t>(), s.total_params);
    QCOMPARE(j["parameters"]["active"].get<uint64_t>(), *s.active_params);
    QCOMPARE(j["parameters"]["n_expert"].get<uint32_t>(), s.n_expert);
    QCOMPARE(j["tensors"].size(), s.tensors.size());
    QCOMPARE(j["hparams"].size(), s.hparams.size());
    QCOMPARE(j["hparams"][s.architecture + ".block_count"].get<uint32_t>(),
             s.file->get_u32(s.architecture + ".block_count"));
    QCOMPARE(j["tokenizer"]["vocab_size"].get<uint64_t>(), s.tokenizer.vocab_size);
    QCOMPARE(j["tokenizer"]["eot"]["text"].get<std::string>(), std::string("<|im_end|>"));
    QCOMPARE(j["tokenizer"]["chat_template"].get<bool>(), true);
    uint64_t type_bytes = 0;
    for (const json& t : j["types"]) type_bytes += t["bytes"].get<uint64_t>();
    QCOMPARE(type_bytes, s.tensor_bytes);
    const json& first = j["tensors"][0];
    QCOMPARE(first["name"].get<std::string>(), s.tensors[0].name);
    QCOMPARE(first["shape"].get<std::vector<int64_t>>(), s.tensors[0].shape);
  }

  void textOutput() {
    const Run r = run_cli({"inspect", QString::fromStdString((models_dir() / "qwen2moe-q8_0.gguf").string())});
    QCOMPARE(r.code, 0);
    const QString out = QString::fromUtf8(r.out);
    for (const char* part : {"architecture:  qwen2moe", "qwen2moe.expert_count", "model gpt2, pre qwen2, 1,024 tokens",
                             "EOT  1023 \"<|im_end|>\"", "chat template: yes", "active/token", "shared experts",
                             "blk.1.ffn_down_exps.weight", "routed-expert", "per type:"})
      QVERIFY2(out.contains(part), part);
  }

  void corruptFilesAreErrors_data() {
    QTest::addColumn<QString>("how");
    QTest::addColumn<QString>("problem");
    QTest::newRow("truncated header") << "cut:3000" << "truncated";
    QTest::newRow("truncated data") << "cut:-1" << "lies outside the data section";
    QTest::newRow("bad magic") << "magic" << "not a GGUF file (bad magic)";
    QTest::newRow("empty") << "cut:0" << "file is empty";
    QTest::newRow("missing") << "missing" << "cannot open";
  }
  void corruptFilesAreErrors() {
    QFETCH(QString, how);
    QFETCH(QString, problem);
    QTemporaryDir dir;
    const fs::path bad = fs::path(dir.path().toStdString()) / "corrupt.gguf";
    std::vector<char> bytes = read_file(models_dir() / "qwen3-q8_0.gguf");
    QVERIFY(bytes.size() > 10000);
    if (how.startsWith("cut:")) {
      const long n = how.mid(4).toLong();
      bytes.resize(n >= 0 ? static_cast<size_t>(n) : bytes.size() - static_cast<size_t>(-n));
    } else if (how == "magic") {
      bytes[1] = 'X';
    }
    if (how != "missing") write_file(bad, bytes);
    const Run r = run_cli({"inspect", QString::fromStdString(bad.string())});
    QCOMPARE(r.status, QProcess::NormalExit);
    QCOMPARE(r.code, 1);
    QVERIFY(r.out.isEmpty());
    const QString err = QString::fromUtf8(r.err);
    const QString prefix = "moescope-cli inspect: error: " + QString::fromStdString(bad.string()) + ": ";
    QVERIFY2(err.startsWith(prefix) && err.contains(problem) && err.endsWith("\n") && err.count('\n') == 1,
             qPrintable(err));
  }

  void bitFlippedFilesNeverCrash() {
    QTemporaryDir dir;
    const fs::path bad = fs::path(dir.path().toStdString()) / "flipped.gguf";
    const std::vector<char> good = read_file(models_dir() / "olmoe-q8_0.gguf");
    const size_t header = moe::GgufFile::open(models_dir() / "olmoe-q8_0.gguf")->data_offset();
    std::mt19937 rng(7);
    int errors = 0;
    for (int i = 0; i < 40; ++i) {
      std::vector<char> b = good;
      for (int k = 0; k < 3; ++k) b[rng() % header] ^= static_cast<char>(1 << (rng() % 8));
      write_file(bad, b);
      const Run r = run_cli({"inspect", QString::fromStdString(bad.string()), "--json"});
      QCOMPARE(r.status, QProcess::NormalExit);
      QVERIFY2(r.code == 0 || r.code == 1, qPrintable(QString::number(r.code)));
      if (r.code == 1) {
        ++errors;
        QVERIFY2(r.err.startsWith("moescope-cli inspect: error: " + QByteArray(bad.string().c_str()) + ": "), r.err.constData());
      } else {
        QVERIFY(json::parse(r.out.toStdString()).is_object());
      }
    }
    QVERIFY(errors > 0);
  }

  void usageErrors() {
    QCOMPARE(run_cli({"inspect"}).code, 2);
    QCOMPARE(run_cli({"inspect", "a.gguf", "b.gguf"}).code, 2);
    QCOMPARE(run_cli({"inspect", "--frobnicate", "a.gguf"}).code, 2);
    const Run help = run_cli({"inspect", "--help"});
    QCOMPARE(help.code, 0);
    QVERIFY(help.out.contains("usage: moescope-cli inspect MODEL.gguf [--json]"));
  }
};

QTEST_APPLESS_MAIN(TestCliInspect)
#include "test-cli-inspect.moc"

// Chat-template conformance: every case of every template in conformance/templates must render
// byte for byte what Python jinja2 (configured like Hugging Face transformers) rendered.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "moe/chat-template.hpp"
#include "moe/errors.hpp"
#include "moe/gguf.hpp"

#include <QtTest>

namespace fs = std::filesystem;

namespace {

fs::path templates_dir() { return fs::path(MOE_SHARED_DIR) / "conformance" / "templates"; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Where two renderings first differ, with a little context, for a readable failure.
QByteArray first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  size_t from = i > 20 ? i - 20 : 0;
  auto quote = [&](const std::string& s) { return nlohmann::json(s.substr(std::min(from, s.size()), 60)).dump(); };
  return QByteArray::fromStdString("first difference at byte " + std::to_string(i) + ": got " + quote(got) +
                                   ", expected " + quote(want));
}

}  // namespace

class TestChatTemplateConformance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void dataIsPresent() {
    QVERIFY2(fs::is_directory(templates_dir()), "conformance/templates missing: ../shared must be beside the checkout");
    int templates = 0;
    for (const auto& e : fs::directory_iterator(templates_dir())) {
      if (e.path().extension() != ".jinja") continue;
      ++templates;
      fs::path cases = e.path();
      cases.replace_extension(".cases.json");
      QVERIFY2(fs::exists(cases), ("no cases file for " + e.path().filename().string()).c_str());
    }
    QVERIFY2(templates >= 6, "expected the six conformance templates");
  }

  void rendersLikeJinja2_data() {
    QTest::addColumn<QString>("templatePath");
    QTest::addColumn<int>("caseIndex");
    if (!fs::is_directory(templates_dir())) {
      QTest::newRow("missing-data") << QString() << -1;
      return;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(templates_dir()))
      if (e.path().extension() == ".jinja") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      fs::path cases_path = f;
      cases_path.replace_extension(".cases.json");
      auto cases = nlohmann::json::parse(read_text(cases_path), nullptr, false);
      if (!cases.is_array() || cases.empty()) {
        QTest::newRow((f.stem().string() + "/unreadable-cases").c_str()) << QString::fromStdString(f.string()) << -1;
        continue;
      }
      for (size_t i = 0; i < cases.size(); ++i)
        QTest::newRow((f.stem().string() + "/case-" + std::to_string(i + 1)).c_str())
            << QString::fromStdString(f.string()) << static_cast<int>(i);
    }
  }

  void rendersLikeJinja2() {
    QFETCH(QString, templatePath);
    QFETCH(int, caseIndex);
    if (caseIndex < 0) QFAIL("conformance template data missing or unreadable");
    const fs::path path = templatePath.toStdString();
    fs::path cases_path = path;
    cases_path.replace_extension(".cases.json");
    // ordered_json: the messages' key order must survive into tojson output.
    const auto cases = nlohmann::ordered_json::parse(read_text(cases_path));
    const auto& c = cases.at(static_cast<size_t>(caseIndex));

    moe::TemplateInputs in;
    in.messages_json = c.at("messages").dump();
    if (c.contains("tools") && !c["tools"].is_null()) in.tools_json = c["tools"].dump();
    in.add_generation_prompt = c.value("add_generation_prompt", false);
    in.bos_token = c.value("bos_token", "");
    in.eos_token = c.value("eos_token", "");
    if (c.contains("now")) in.now_iso8601 = c["now"].get<std::string>();

    const moe::ChatTemplate tmpl = moe::ChatTemplate::parse(read_text(path), path.stem().string());
    const bool expects_error = c.contains("expected_error") && !c["expected_error"].is_null();
    if (expects_error) {
      const std::string want = c["expected_error"].get<std::string>();
      try {
        (void)tmpl.render(in);
      } catch (const moe::TemplateRaisedError& e) {
        QCOMPARE(QString::fromUtf8(e.what()), QString::fromStdString(want));
        return;
      }
      QFAIL(("expected the template to raise: " + want).c_str());
    }
    const std::string want = c.at("expected").get<std::string>();
    const std::string got = tmpl.render(in);
    if (got != want) QFAIL(first_difference(got, want).constData());
  }

  // The model files carry a ChatML template; it must parse and render through the same path.
  void rendersConformanceModelTemplate() {
    const fs::path tmpl_path = templates_dir() / "Qwen-Qwen2.5-7B-Instruct.jinja";
    QVERIFY2(fs::exists(tmpl_path), "conformance template missing");
    const auto tmpl = moe::ChatTemplate::parse(read_text(tmpl_path), "qwen2.5");
    const std::string out = tmpl.render({{"user", "Hi"}}, true, "<|endoftext|>", "<|im_end|>");
    QCOMPARE(QByteArray::fromStdString(out),
             QByteArray("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
                        "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
  }

  // Every conformance model carries a ChatML template and <|endoftext|> as BOS/EOS text.
  void readsTheTemplateOfEveryModel() {
    const fs::path models = fs::path(MOE_SHARED_DIR) / "conformance" / "models";
    QVERIFY2(fs::is_directory(models), "conformance models missing");
    int checked = 0;
    for (const auto& e : fs::directory_iterator(models)) {
      if (e.path().extension() != ".gguf") continue;
      const moe::ModelChatFormat format = moe::chat_format_from_gguf(*moe::GgufFile::open(e.path()));
      QVERIFY2(!format.chat_template.used_fallback, e.path().filename().c_str());
      QCOMPARE(QString::fromStdString(format.bos_token), QString("<|endoftext|>"));
      QCOMPARE(QString::fromStdString(format.eos_token), QString("<|endoftext|>"));
      const std::string out = format.chat_template.chat_template.render({{"user", "Hi"}}, true, format.bos_token,
                                                                         format.eos_token);
      QCOMPARE(QString::fromStdString(out), QString("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
      ++checked;
    }
    QVERIFY(checked >= 11);
  }

  // A GGUF without tokenizer.chat_template gets ChatML and says so.
  void modelWithoutTemplateFallsBackToChatMl() {
    // GGUF v3 header: magic, version, no tensors, no metadata.
    const unsigned char header[] = {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const auto gguf = moe::GgufFile::from_memory(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(header), sizeof header), "bare.gguf");
    const moe::ModelChatFormat format = moe::chat_format_from_gguf(*gguf);
    QVERIFY(format.chat_template.used_fallback);
    QVERIFY(!format.chat_template.note.empty());
    QVERIFY(format.bos_token.empty());
    QCOMPARE(QString::fromStdString(format.chat_template.chat_template.render({{"user", "Hi"}}, true, "", "")),
             QString("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"));
  }
};

QTEST_APPLESS_MAIN(TestChatTemplateConformance)
#include "test-engine-chat-template.moc"
